package io.distilflux.trainer.complexity;

import io.distilflux.pipeline.event.ExtraParameter;

/**
 * The complexity weight λ_c as a streamed meta-parameter (docs/complexity.md §4): its unconstrained coordinate b4 with λ_c = 10^{−1+3σ(b4)} (so λ_c ∈ (10⁻¹, 10²)), and
 * the closed-form one-step hypergradient. With the training loss L_train = … + λ_c·KL(q‖p)/N
 * and one SGD step θ' = θ − γ∇L_train, only the KL term depends on λ_c, so
 * dθ'/dλ_c = −(γ/N)∇KL and dL_val(θ')/dλ_c = −(γ/N)⟨∇_θ'L_val, ∇_θKL⟩, no extra backward pass.
 */
public final class ComplexityHyperGradient {

  /** The name of λ_c's coordinate among a record's extra meta-parameters. */
  public static final String NAME = "lambdaC";

  private ComplexityHyperGradient() {}

  /** λ_c = 10^{−1+3σ(b4)}. */
  public static double lambda(double b4) {
    return ExtraParameter.COMPLEXITY.value(b4);
  }

  /** b4 with {@link #lambda}(b4) = λ_c, for λ_c in (10⁻¹, 10²). */
  public static double coordinate(double lambdaC) {
    return ExtraParameter.COMPLEXITY.coordinate(lambdaC);
  }

  /** dλ_c/db4 = 3·ln10·λ_c·σ(b4)(1 − σ(b4)). */
  public static double lambdaDerivative(double b4) {
    return ExtraParameter.COMPLEXITY.derivative(b4);
  }

  /**
   * dL_val/dλ_c = −(γ/N)⟨∇_θ'L_val, ∇_θKL⟩ with ∂KL/∂μ = μ/s_p², ∂KL/∂ρ = σ²/s_p² − 1.
   *
   * @param validationGradMu ∂L_val/∂μ' after the step
   * @param validationGradRho ∂L_val/∂ρ' after the step, or null when L_val is taken at the means
   *     (then only the μ part remains: −(γ/N)Σ(∂L_val/∂μ')·μ/s_p²)
   * @param mu μ before the step
   * @param rho ρ before the step
   * @param priorVariance s_p²
   * @param stepSize γ of the SGD step
   * @param trainingSize N
   */
  public static double withRespectToLambda(double[] validationGradMu,
      double[] validationGradRho, double[] mu, double[] rho, double priorVariance,
      double stepSize, int trainingSize) {
    double sum = 0;
    for (int k = 0; k < mu.length; k++) {
      sum += validationGradMu[k] * mu[k] / priorVariance;
      if (validationGradRho != null) {
        sum += validationGradRho[k] * (Math.exp(2 * rho[k]) / priorVariance - 1);
      }
    }
    return -stepSize / trainingSize * sum;
  }

  /** dL_val/db4 = dL_val/dλ_c · dλ_c/db4. */
  public static double withRespectToCoordinate(double hyperGradientLambda, double b4) {
    return hyperGradientLambda * lambdaDerivative(b4);
  }
}
