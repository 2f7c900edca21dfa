package io.distilflux.trainer.distill;

/**
 * KL(s ‖ q) = Σ s (log s − log q). With l = log s − log q and D = ⟨s, l⟩:
 *
 * <pre>
 *   δ_i    = s_i (l_i − D) / T
 *   ∂T δ_i = [∂T s_i (l_i − D) + s_i (∂T l_i − ∂T D)] / T − δ_i / T,
 *   ∂T D   = Σ ∂T s_j l_j − Σ s_j ∂T log q_j   (Σ s_j ∂T log s_j = 0)
 * </pre>
 */
final class ReverseDivergence implements Divergence {

  static final ReverseDivergence INSTANCE = new ReverseDivergence();

  private ReverseDivergence() {}

  @Override
  public String name() {
    return "reverse";
  }

  @Override
  public double row(TemperedRow r, double[] delta, double[] temperatureDelta, int at) {
    double t = r.t;
    double value = 0;
    double valueDerivative = 0;
    for (int i = 0; i < r.k; i++) {
      double l = r.logS[i] - r.logQ[i];
      double dsdT = r.s[i] * r.dLogS[i];
      value += r.s[i] * l;
      valueDerivative += dsdT * l - r.s[i] * r.dLogQ[i];
    }
    for (int i = 0; i < r.k; i++) {
      double l = r.logS[i] - r.logQ[i];
      double dsdT = r.s[i] * r.dLogS[i];
      double dl = r.dLogS[i] - r.dLogQ[i];
      double d = r.s[i] * (l - value) / t;
      delta[at + i] = d;
      temperatureDelta[at + i] =
          (dsdT * (l - value) + r.s[i] * (dl - valueDerivative)) / t - d / t;
    }
    return value;
  }

  @Override
  public String toString() {
    return name();
  }
}
