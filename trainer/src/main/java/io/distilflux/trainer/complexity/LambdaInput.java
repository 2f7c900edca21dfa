package io.distilflux.trainer.complexity;

/**
 * How a hypernetwork sees λ: {@link #RAW} as printed in the paper (the default), or {@link #LOG}
 * encoded t = (log₁₀λ + 1)/3, which maps the tested range [10⁻¹, 10²] onto [0, 1].
 */
public enum LambdaInput {
  /** λ itself. */
  RAW,
  /** t = (log₁₀λ + 1)/3. */
  LOG;

  /** The hypernetwork's input for λ. */
  public double encode(double lambda) {
    return this == RAW ? lambda : (Math.log10(lambda) + 1) / 3;
  }
}
