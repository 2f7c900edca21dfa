package io.distilflux.trainer.structure;

import io.distilflux.trainer.complexity.Examples;
import java.util.SplittableRandom;

/** Small generated data and parameters for the structure tests (no files). */
final class TestExamples {

  private TestExamples() {}

  /**
   * {@code n} examples of {@code width} non-negative features around one random centre per class,
   * every third feature exactly zero (as MNIST's border pixels are).
   */
  static Examples clusters(int n, int width, int classes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[][] centres = new double[classes][width];
    for (double[] c : centres) {
      for (int i = 0; i < width; i++) {
        c[i] = 2 * random.nextDouble();
      }
    }
    float[] x = new float[n * width];
    byte[] y = new byte[n];
    for (int e = 0; e < n; e++) {
      int label = random.nextInt(classes);
      y[e] = (byte) label;
      for (int i = 0; i < width; i++) {
        double v = centres[label][i] + 0.5 * random.nextGaussian();
        x[e * width + i] = i % 3 == 0 ? 0f : (float) Math.max(0, v);
      }
    }
    return new Examples(x, y, width, classes);
  }

  /** {@code n} Gaussian entries of standard deviation {@code scale} around {@code shift}. */
  static double[] gaussian(int n, double scale, double shift, SplittableRandom random) {
    double[] v = new double[n];
    for (int k = 0; k < n; k++) {
      v[k] = shift + scale * random.nextGaussian();
    }
    return v;
  }
}
