package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.distilflux.trainer.complexity.Examples;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The supernet's forward pass, its gradients and the discrete students cut out of it. */
class SupernetTest {

  private final Supernet net = new Supernet(6, new int[] {4, 2, 1}, new boolean[] {false, true},
      3, 3);
  private final Examples data = TestExamples.clusters(5, 6, 3, 2);
  private final int[] order = {0, 1, 2, 3, 4};

  private double[] weights(long seed) {
    double[] w = new double[net.parameterCount()];
    net.initialise(w, new SplittableRandom(seed));
    // non-zero biases, so that their gradients are checked too
    SplittableRandom random = new SplittableRandom(seed + 1);
    for (int k = 0; k < w.length; k++) {
      w[k] += 0.05 * random.nextGaussian();
    }
    return w;
  }

  @Test
  void theParameterCountAddsUpEveryBlock() {
    // widths 4, 2, 1 over 6 inputs; linear 4→3; deep 4→3 ReLU→3
    int expected = 4 * 7 + 2 * 7 + 1 * 7 + 3 * 5 + (3 * 5 + 3 * 4);
    assertEquals(expected, net.parameterCount());
    assertEquals(5, net.structureSize());
    assertEquals(3, net.offset(1));
  }

  @Test
  void theWeightAndLogitGradientsMatchCentralDifferencesWithTheNoiseFixed() {
    double[] w = weights(3);
    double[] logAlpha = {0.2, -0.4, 0.1, 0.5, -0.3};
    double[] noise = SupernetLoss.noise(net, new SplittableRandom(4));
    double c = 0.8;
    SupernetLoss loss = new SupernetLoss(net, 5);
    double[] gradW = new double[w.length];
    double[] gradLogAlpha = new double[logAlpha.length];
    loss.evaluate(w, logAlpha, noise, c, data, order, 0, 5, gradW, gradLogAlpha);
    double e = 1e-6;
    for (int k = 0; k < w.length; k++) {
      double keep = w[k];
      w[k] = keep + e;
      double plus = loss.evaluate(w, logAlpha, noise, c, data, order, 0, 5, null, null);
      w[k] = keep - e;
      double minus = loss.evaluate(w, logAlpha, noise, c, data, order, 0, 5, null, null);
      w[k] = keep;
      assertEquals((plus - minus) / (2 * e), gradW[k], 1e-7, "dL/dw_" + k);
    }
    for (int j = 0; j < logAlpha.length; j++) {
      double keep = logAlpha[j];
      logAlpha[j] = keep + e;
      double plus = loss.evaluate(w, logAlpha, noise, c, data, order, 0, 5, null, null);
      logAlpha[j] = keep - e;
      double minus = loss.evaluate(w, logAlpha, noise, c, data, order, 0, 5, null, null);
      logAlpha[j] = keep;
      assertEquals((plus - minus) / (2 * e), gradLogAlpha[j], 1e-8, "dL/dlog α_" + j);
    }
  }

  @Test
  void eachDiscreteStudentComputesTheSupernetAtItsVertex() {
    double[] w = weights(5);
    Supernet.Buffers buffers = net.buffers(5);
    data.copyRows(order, 0, 5, buffers.input());
    for (int width = 0; width < 3; width++) {
      for (int depth = 0; depth < 2; depth++) {
        int[] choice = {width, depth};
        double[] expected = net.forward(w, net.vertex(choice), buffers, 5).clone();
        Supernet student = net.discrete(choice);
        double[] sw = net.discreteWeights(w, choice);
        assertEquals(student.parameterCount(), sw.length);
        Supernet.Buffers own = student.buffers(5);
        data.copyRows(order, 0, 5, own.input());
        double[] actual = student.forward(sw, new double[] {1, 1}, own, 5);
        assertArrayEquals(expected, actual, 1e-12, student.describe(new int[] {0, 0}));
      }
    }
    assertEquals("6-2-3-3", net.describe(new int[] {1, 1}));
    assertEquals("6-1-3", net.describe(new int[] {2, 0}));
  }

  @Test
  void aChoiceOutsideTheBlocksIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> net.discrete(new int[] {3, 0}));
    assertThrows(IllegalArgumentException.class, () -> net.vertex(new int[] {0}));
    assertThrows(IllegalArgumentException.class,
        () -> new Supernet(6, new int[] {0}, new boolean[] {false}, 3, 3));
  }
}
