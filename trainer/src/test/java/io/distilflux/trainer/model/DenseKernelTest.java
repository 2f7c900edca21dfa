package io.distilflux.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DenseKernelTest {

  private static final int ROWS = 7;
  private static final int IN = 13;
  private static final int OUT = 5;
  private static final int OFFSET = 3;

  @Test
  void gemmKernelComputesTheProductsOfTheJavaLoops() {
    Random random = new Random(4);
    double[] a = values(random, ROWS * IN);
    double[] delta = values(random, ROWS * OUT);
    double[] w = values(random, OFFSET + IN * OUT + OUT);
    DenseKernel gemm = new Nd4jGemmKernel();
    // twice: the second call reuses the first one's buffers
    for (int call = 0; call < 2; call++) {
      double[] seed = values(random, ROWS * OUT);
      for (boolean add : new boolean[] {false, true}) {
        double[] expected = seed.clone();
        double[] actual = seed.clone();
        DenseKernel.JAVA.multiply(a, ROWS, IN, w, OFFSET, OUT, expected, add);
        gemm.multiply(a, ROWS, IN, w, OFFSET, OUT, actual, add);
        assertArrayEquals(expected, actual, 1e-12, "multiply, add " + add);
      }
      double[] expected = new double[ROWS * IN];
      double[] actual = new double[ROWS * IN];
      DenseKernel.JAVA.multiplyTransposed(delta, ROWS, OUT, w, OFFSET, IN, expected);
      gemm.multiplyTransposed(delta, ROWS, OUT, w, OFFSET, IN, actual);
      assertArrayEquals(expected, actual, 1e-12, "multiplyTransposed");
      double[] expectedGradient = values(random, w.length);
      double[] actualGradient = expectedGradient.clone();
      DenseKernel.JAVA.weightGradient(a, delta, ROWS, IN, OUT, expectedGradient, OFFSET);
      gemm.weightGradient(a, delta, ROWS, IN, OUT, actualGradient, OFFSET);
      assertArrayEquals(expectedGradient, actualGradient, 1e-12, "weightGradient");
    }
  }

  @Test
  void javaKernelMultipliesInTheFlatColumnMajorLayout() {
    // W [2, 3] column-major after one leading entry, as DL4J lays it out: W[i, j] = w[1 + 2j + i]
    double[] w = {99, 1, 2, 3, 4, 5, 6};
    double[] a = {1, 10};
    double[] out = new double[3];
    DenseKernel.JAVA.multiply(a, 1, 2, w, 1, 3, out, false);
    assertArrayEquals(new double[] {21, 43, 65}, out, 0.0);
    double[] back = new double[2];
    DenseKernel.JAVA.multiplyTransposed(new double[] {1, 0, 1}, 1, 3, w, 1, 2, back);
    assertEquals(6, back[0], 0.0);
    assertEquals(8, back[1], 0.0);
  }

  private static double[] values(Random random, int n) {
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      values[i] = random.nextGaussian();
    }
    return values;
  }
}
