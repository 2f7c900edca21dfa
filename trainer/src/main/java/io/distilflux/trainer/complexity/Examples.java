package io.distilflux.trainer.complexity;

/**
 * Labelled examples as plain arrays: features row-major [count, width] and a class per example.
 *
 * @param features pixels or features, example after example
 * @param labels class index per example, in [0, classes)
 * @param width features per example
 * @param classes number of classes
 */
public record Examples(float[] features, byte[] labels, int width, int classes) {

  /** Checks that the arrays agree with the sizes. */
  public Examples {
    if (width < 1 || classes < 2) {
      throw new IllegalArgumentException("width must be >= 1 and classes >= 2");
    }
    if ((long) labels.length * width != features.length) {
      throw new IllegalArgumentException("features hold " + features.length + " values, not "
          + labels.length + " × " + width);
    }
    for (byte label : labels) {
      if (label < 0 || label >= classes) {
        throw new IllegalArgumentException("label " + label + " outside 0.." + (classes - 1));
      }
    }
  }

  /** Number of examples. */
  public int count() {
    return labels.length;
  }

  /** The first {@code n} examples. */
  public Examples head(int n) {
    if (n < 1 || n > count()) {
      throw new IllegalArgumentException("head size must be in 1.." + count() + ", got " + n);
    }
    float[] x = new float[n * width];
    System.arraycopy(features, 0, x, 0, x.length);
    byte[] y = new byte[n];
    System.arraycopy(labels, 0, y, 0, n);
    return new Examples(x, y, width, classes);
  }

  /** Copies the examples {@code order[from …from+rows)} into {@code input} as doubles. */
  public void copyRows(int[] order, int from, int rows, double[] input) {
    for (int r = 0; r < rows; r++) {
      int e = order[from + r];
      int src = e * width;
      int dst = r * width;
      for (int i = 0; i < width; i++) {
        input[dst + i] = features[src + i];
      }
    }
  }
}
