package io.distilflux.trainer.distill;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Small row-wise helpers shared by the engines that compute on Java arrays. */
final class Rows {

  private Rows() {}

  /** Σ a[i]·b[i] over the first n entries. */
  static double dot(double[] a, double[] b, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  /** The first index of the largest of {@code count} values from {@code from}, as ND4J's argMax. */
  static int argMax(double[] values, int from, int count) {
    int best = 0;
    for (int i = 1; i < count; i++) {
      if (values[from + i] > values[from + best]) {
        best = i;
      }
    }
    return best;
  }

  /** Rows of {@code logits} whose largest value is at the one-hot label's class. */
  static long correct(double[] logits, double[] oneHotLabels, int rows, int classes) {
    long correct = 0;
    for (int r = 0; r < rows; r++) {
      correct += argMax(logits, r * classes, classes) == argMax(oneHotLabels, r * classes, classes)
          ? 1 : 0;
    }
    return correct;
  }

  /** Rows [from, to) of an array of any rank, the array itself when that is all of it. */
  static INDArray rowRange(INDArray array, int from, int to) {
    if (from == 0 && to == array.size(0)) {
      return array;
    }
    INDArrayIndex[] index = new INDArrayIndex[array.rank()];
    index[0] = NDArrayIndex.interval(from, to);
    for (int d = 1; d < index.length; d++) {
      index[d] = NDArrayIndex.all();
    }
    return array.get(index);
  }
}
