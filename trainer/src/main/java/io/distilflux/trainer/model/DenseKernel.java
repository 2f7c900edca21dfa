package io.distilflux.trainer.model;

/**
 * The matrix products of a {@link DenseStack} layer, on row-major {@code double[]} batches and
 * weights in DL4J's flat layout (W [nIn, nOut] column-major from offset {@code wo}, so
 * W[i, j] = {@code w[wo + j·nIn + i]}). Everything elementwise (biases, ReLU masks) stays in
 * {@link DenseStack}; a kernel only multiplies. {@link #JAVA} is Java loops (fastest for small
 * layers, no per-call overhead); {@link Nd4jGemmKernel} hands each product to BLAS (fastest for
 * large layers).
 */
public interface DenseKernel {

  /** Java loops, one fixed order of additions per entry; stateless and thread-safe. */
  DenseKernel JAVA = new JavaDenseKernel();

  /**
   * {@code out[r, j] = Σ_i a[r, i]·W[i, j]} for r &lt; rows (or {@code +=} when {@code add}).
   */
  void multiply(double[] a, int rows, int nIn, double[] w, int wo, int nOut, double[] out,
      boolean add);

  /** {@code out[r, i] = Σ_j delta[r, j]·W[i, j]} for r &lt; rows: the delta sent back. */
  void multiplyTransposed(double[] delta, int rows, int nOut, double[] w, int wo, int nIn,
      double[] out);

  /**
   * {@code gradient[wo + j·nIn + i] = Σ_r a[r, i]·delta[r, j]}: the weight gradient, in the
   * flat layout, overwritten.
   */
  void weightGradient(double[] a, double[] delta, int rows, int nIn, int nOut,
      double[] gradient, int wo);
}
