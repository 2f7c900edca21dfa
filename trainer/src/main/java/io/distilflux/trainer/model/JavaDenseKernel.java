package io.distilflux.trainer.model;

/** {@link DenseKernel} as Java loops (see {@link DenseKernel#JAVA}). */
final class JavaDenseKernel implements DenseKernel {

  @Override
  public void multiply(double[] a, int rows, int nIn, double[] w, int wo, int nOut,
      double[] out, boolean add) {
    for (int row = 0; row < rows; row++) {
      int ri = row * nIn;
      int ro = row * nOut;
      for (int j = 0; j < nOut; j++) {
        double s = dot(a, ri, w, wo + j * nIn, nIn);
        out[ro + j] = add ? out[ro + j] + s : s;
      }
    }
  }

  @Override
  public void multiplyTransposed(double[] delta, int rows, int nOut, double[] w, int wo,
      int nIn, double[] out) {
    for (int row = 0; row < rows; row++) {
      int ri = row * nIn;
      int ro = row * nOut;
      java.util.Arrays.fill(out, ri, ri + nIn, 0.0);
      for (int j = 0; j < nOut; j++) {
        double d = delta[ro + j];
        int col = wo + j * nIn;
        for (int i = 0; i < nIn; i++) {
          out[ri + i] += d * w[col + i];
        }
      }
    }
  }

  @Override
  public void weightGradient(double[] a, double[] delta, int rows, int nIn, int nOut,
      double[] gradient, int wo) {
    java.util.Arrays.fill(gradient, wo, wo + nIn * nOut, 0.0);
    for (int row = 0; row < rows; row++) {
      int ri = row * nIn;
      int ro = row * nOut;
      for (int j = 0; j < nOut; j++) {
        double d = delta[ro + j];
        int col = wo + j * nIn;
        for (int i = 0; i < nIn; i++) {
          gradient[col + i] += d * a[ri + i];
        }
      }
    }
  }

  /**
   * Σ a[ao + i] b[bo + i] over i &lt; n in four interleaved partial sums: four independent
   * additions per round instead of one chain (the JIT does not reorder floating-point sums itself).
   */
  private static double dot(double[] a, int ao, double[] b, int bo, int n) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += a[ao + i] * b[bo + i];
      s1 += a[ao + i + 1] * b[bo + i + 1];
      s2 += a[ao + i + 2] * b[bo + i + 2];
      s3 += a[ao + i + 3] * b[bo + i + 3];
    }
    for (; i < n; i++) {
      s0 += a[ao + i] * b[bo + i];
    }
    return (s0 + s1) + (s2 + s3);
  }
}
