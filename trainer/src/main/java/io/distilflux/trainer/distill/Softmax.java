package io.distilflux.trainer.distill;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Row-wise softmax helpers on [B, K] logits, stable for large logits. Public for the one
 * cross-entropy kernel on Java arrays that the dense teacher training shares.
 */
public final class Softmax {

  private Softmax() {}

  /** log softmax(x) per row, computed as x − max − log Σ exp(x − max). */
  static INDArray logSoftmax(INDArray logits) {
    INDArray shifted = logits.subColumnVector(logits.max(true, 1));
    INDArray logSumExp = Transforms.log(Transforms.exp(shifted, true).sum(true, 1), false);
    return shifted.subiColumnVector(logSumExp);
  }

  /** softmax(x) per row. */
  static INDArray softmax(INDArray logits) {
    return Transforms.exp(logSoftmax(logits), false);
  }

  /** Mean over rows of CE(p, softmax(x)) = −Σ_k p_k log softmax(x)_k. */
  static double meanCrossEntropy(INDArray targetProbabilities, INDArray logits) {
    return -targetProbabilities.mul(logSoftmax(logits)).sumNumber().doubleValue()
        / logits.size(0);
  }

  /** A batch-mean cross-entropy and its gradient with respect to the logits. */
  record CrossEntropy(double loss, INDArray gradient) {}

  /**
   * CE(y, softmax(z)) averaged over the rows and its gradient (softmax(z) − y) / B, in double
   * loops: on [B, K] logits they beat the dozen libnd4j ops of {@link #meanCrossEntropy} and
   * {@link #softmax}.
   */
  static CrossEntropy crossEntropy(INDArray labels, INDArray logits) {
    if (logits.rank() != 2 || !java.util.Arrays.equals(labels.shape(), logits.shape())) {
      throw new IllegalArgumentException("labels " + java.util.Arrays.toString(labels.shape())
          + " and logits " + java.util.Arrays.toString(logits.shape()) + " must be one [B, K]");
    }
    int rows = Math.toIntExact(logits.size(0));
    int k = Math.toIntExact(logits.size(1));
    double[] gradient = new double[rows * k];
    double loss = crossEntropy(values(labels), values(logits), rows, k, gradient, new double[k],
        new double[k]);
    return new CrossEntropy(loss, matrix(gradient, rows, k, logits.dataType()));
  }

  /**
   * {@link #crossEntropy(INDArray, INDArray)} on row-major Java arrays: returns the batch-mean
   * CE(y, softmax(z)) of the first {@code rows} rows and writes (softmax(z) − y) / B into
   * {@code gradient}, or only the loss when {@code gradient} is null.
   *
   * @param p scratch of length k
   * @param logP scratch of length k
   */
  public static double crossEntropy(double[] y, double[] z, int rows, int k, double[] gradient,
      double[] p, double[] logP) {
    double sum = 0;
    for (int r = 0; r < rows; r++) {
      int row = r * k;
      softmax(z, row, k, 1.0, p, logP);
      for (int i = 0; i < k; i++) {
        sum -= y[row + i] * logP[i];
        if (gradient != null) {
          gradient[row + i] = (p[i] - y[row + i]) / rows;
        }
      }
    }
    return sum / rows;
  }

  /**
   * softmax(x / T) of the row x[from, from + k) into {@code out} and its logarithm into {@code
   * log}, max-shifted.
   */
  static void softmax(double[] x, int from, int k, double t, double[] out, double[] log) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < k; i++) {
      max = Math.max(max, x[from + i] / t);
    }
    double sum = 0;
    for (int i = 0; i < k; i++) {
      log[i] = x[from + i] / t - max;
      sum += Math.exp(log[i]);
    }
    double logSum = Math.log(sum);
    for (int i = 0; i < k; i++) {
      log[i] -= logSum;
      out[i] = Math.exp(log[i]);
    }
  }

  /** The elements of an array in row-major order, widened to double. */
  static double[] values(INDArray a) {
    INDArray c = a.isView() || a.ordering() != 'c' || a.data().length() != a.length()
        ? a.dup('c') : a;
    if (c.dataType() == DataType.DOUBLE) {
      return c.data().asDouble();
    }
    if (c.dataType() != DataType.FLOAT) {
      c = c.castTo(DataType.FLOAT);
    }
    float[] narrow = c.data().asFloat();
    double[] wide = new double[narrow.length];
    for (int i = 0; i < narrow.length; i++) {
      wide[i] = narrow[i];
    }
    return wide;
  }

  /** A [rows, columns] array of {@code type} holding {@code values} in row-major order. */
  static INDArray matrix(double[] values, int rows, int columns, DataType type) {
    long[] shape = {rows, columns};
    if (type == DataType.DOUBLE) {
      return Nd4j.create(values, shape, 'c');
    }
    float[] narrow = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      narrow[i] = (float) values[i];
    }
    INDArray array = Nd4j.create(narrow, shape, 'c');
    return type == DataType.FLOAT ? array : array.castTo(type);
  }
}
