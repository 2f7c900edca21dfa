package io.distilflux.trainer.data;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Decoded images held as plain Java arrays before they become a {@link Split}.
 *
 * @param pixels normalised pixels, example after example (row-major per example)
 * @param labels class index per example
 * @param exampleShape the shape of one example, e.g. {3, 32, 32} or {784}
 */
record LabelledImages(float[] pixels, byte[] labels, long[] exampleShape) {

  int count() {
    return labels.length;
  }

  int exampleSize() {
    long size = 1;
    for (long d : exampleShape) {
      size *= d;
    }
    return (int) size;
  }

  /** Rows [from, from+n) as a split with one-hot labels over {@code classes}. */
  Split split(int from, int n, int classes) {
    int size = exampleSize();
    float[] x = new float[n * size];
    System.arraycopy(pixels, from * size, x, 0, n * size);
    float[] y = new float[n * classes];
    for (int i = 0; i < n; i++) {
      y[i * classes + labels[from + i]] = 1f;
    }
    long[] shape = new long[exampleShape.length + 1];
    shape[0] = n;
    System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
    INDArray features = Nd4j.create(x, shape);
    return new Split(features, Nd4j.create(y, new long[] {n, classes}));
  }

  /** Concatenation of several image sets with the same example shape. */
  static LabelledImages concat(java.util.List<LabelledImages> parts) {
    int total = parts.stream().mapToInt(LabelledImages::count).sum();
    int size = parts.get(0).exampleSize();
    float[] pixels = new float[total * size];
    byte[] labels = new byte[total];
    int at = 0;
    for (LabelledImages part : parts) {
      System.arraycopy(part.pixels, 0, pixels, at * size, part.count() * size);
      System.arraycopy(part.labels, 0, labels, at, part.count());
      at += part.count();
    }
    return new LabelledImages(pixels, labels, parts.get(0).exampleShape);
  }
}
