package io.distilflux.trainer.complexity;

/** Softmax cross-entropy of logits against class labels, computed stably. */
public final class CrossEntropy {

  private CrossEntropy() {}

  /**
   * Mean over the rows of −log softmax(z)_y, with the labels of examples {@code order[from …]};
   * writes its gradient (softmax − one-hot)/rows into {@code gradient} [rows, classes].
   */
  public static double meanAndGradient(double[] logits, byte[] labels, int[] order, int from,
      int rows, int classes, double[] gradient) {
    double sum = 0;
    for (int r = 0; r < rows; r++) {
      int ro = r * classes;
      int y = labels[order[from + r]];
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, logits[ro + c]);
      }
      double z = 0;
      for (int c = 0; c < classes; c++) {
        double e = Math.exp(logits[ro + c] - max);
        gradient[ro + c] = e;
        z += e;
      }
      sum += Math.log(z) + max - logits[ro + y];
      for (int c = 0; c < classes; c++) {
        gradient[ro + c] = (gradient[ro + c] / z - (c == y ? 1 : 0)) / rows;
      }
    }
    return sum / rows;
  }

  /** Σ over the rows of −log softmax(z)_y, labels of examples {@code from …from+rows}. */
  public static double sum(double[] logits, byte[] labels, int from, int rows, int classes) {
    double sum = 0;
    for (int r = 0; r < rows; r++) {
      int ro = r * classes;
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, logits[ro + c]);
      }
      double z = 0;
      for (int c = 0; c < classes; c++) {
        z += Math.exp(logits[ro + c] - max);
      }
      sum += Math.log(z) + max - logits[ro + labels[from + r]];
    }
    return sum;
  }
}
