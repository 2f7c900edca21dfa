package io.distilflux.trainer.complexity;

import java.util.SplittableRandom;

/** Small generated data sets for the complexity and structure tests (no files). */
public final class TestData {

  private TestData() {}

  /**
   * {@code n} examples of {@code width} features in three Gaussian clusters, one per class, with
   * about a third of the features exactly zero (as MNIST's background pixels are).
   */
  static Examples clusters(int n, int width, long seed) {
    return clusters(n, width, seed, seed);
  }

  /** As {@link #clusters(int, int, long)}, the centres from one seed, the samples from another. */
  static Examples clusters(int n, int width, long centreSeed, long sampleSeed) {
    return clusters(n, width, 3, new SplittableRandom(centreSeed),
        new SplittableRandom(sampleSeed + 7919 * centreSeed));
  }

  /**
   * {@code n} examples of {@code width} non-negative features around one random centre per
   * class (centres drawn from {@code centreRandom}, then the samples from {@code sampleRandom},
   * which may be the same generator), every third feature exactly zero.
   */
  public static Examples clusters(int n, int width, int classes, SplittableRandom centreRandom,
      SplittableRandom sampleRandom) {
    double[][] centres = new double[classes][width];
    for (double[] c : centres) {
      for (int i = 0; i < width; i++) {
        c[i] = 2 * centreRandom.nextDouble();
      }
    }
    float[] x = new float[n * width];
    byte[] y = new byte[n];
    for (int e = 0; e < n; e++) {
      int label = sampleRandom.nextInt(classes);
      y[e] = (byte) label;
      for (int i = 0; i < width; i++) {
        double v = centres[label][i] + 0.5 * sampleRandom.nextGaussian();
        x[e * width + i] = i % 3 == 0 ? 0f : (float) Math.max(0, v);
      }
    }
    return new Examples(x, y, width, classes);
  }

  /** A vector of Gaussian entries with standard deviation {@code scale} plus {@code shift}. */
  public static double[] gaussian(int n, double scale, double shift, SplittableRandom random) {
    double[] v = new double[n];
    for (int k = 0; k < n; k++) {
      v[k] = shift + scale * random.nextGaussian();
    }
    return v;
  }
}
