package io.distilflux.trainer.distill;

/**
 * CE(q, s) = −Σ q log s: δ = (s − q)/T and ∂T δ = −(s − q)/T² + (∂T s − ∂T q)/T (method.md §2).
 */
final class ForwardDivergence implements Divergence {

  static final ForwardDivergence INSTANCE = new ForwardDivergence();

  private ForwardDivergence() {}

  @Override
  public String name() {
    return "forward";
  }

  @Override
  public double row(TemperedRow r, double[] delta, double[] temperatureDelta, int at) {
    double t = r.t;
    double value = 0;
    for (int i = 0; i < r.k; i++) {
      value -= r.q[i] * r.logS[i];
      double gap = r.s[i] - r.q[i];
      double dsdT = r.s[i] * r.dLogS[i];
      double dqdT = r.q[i] * r.dLogQ[i];
      delta[at + i] = gap / t;
      temperatureDelta[at + i] = -gap / (t * t) + (dsdT - dqdT) / t;
    }
    return value;
  }

  @Override
  public String toString() {
    return name();
  }
}
