package io.distilflux.trainer.distill;

/**
 * Scratch space for one row of {@link Divergence#row}: the softened distributions s =
 * softmax(z/T), q = softmax(f/T), their logarithms, and the T-derivatives of the logarithms,
 * ∂T log s_i = −(z_i − ⟨s, z⟩)/T² and ∂T log q_i = −(f_i − ⟨q, f⟩)/T² (method.md §2). Reused
 * from row to row; not thread-safe.
 */
public final class TemperedRow {

  final double[] s;
  final double[] logS;
  final double[] q;
  final double[] logQ;
  final double[] dLogS;
  final double[] dLogQ;
  int k;
  double t;

  /** Space for rows of up to {@code classes} logits. */
  public TemperedRow(int classes) {
    s = new double[classes];
    logS = new double[classes];
    q = new double[classes];
    logQ = new double[classes];
    dLogS = new double[classes];
    dLogQ = new double[classes];
  }

  /**
   * Fills the row from student logits z[from, from + k) and teacher logits f[from, from + k).
   */
  public void fill(double[] z, double[] f, int from, int classes, double temperature) {
    k = classes;
    t = temperature;
    Softmax.softmax(z, from, k, t, s, logS);
    Softmax.softmax(f, from, k, t, q, logQ);
    double sz = 0;
    double qf = 0;
    for (int i = 0; i < k; i++) {
      sz += s[i] * z[from + i];
      qf += q[i] * f[from + i];
    }
    double tt = t * t;
    for (int i = 0; i < k; i++) {
      dLogS[i] = -(z[from + i] - sz) / tt;
      dLogQ[i] = -(f[from + i] - qf) / tt;
    }
  }
}
