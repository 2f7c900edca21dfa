package io.distilflux.trainer.distill;

import io.distilflux.pipeline.event.Unconstrained;

/**
 * The one-step hypergradient dL_val(U(w, b))/db of one step (docs/method.md §2, eq. 11).
 *
 * @param gradient the derivative in each of b1, b2, b3
 * @param validationLoss L_val(w') on the validation batch after the virtual step
 * @param finite false when any component (or the validation loss) is NaN or infinite: such a
 *     result must be skipped and counted, not applied
 * @param validationGradientNormSquared ‖v‖² of v = ∇w L_val(w'), which the normalised meta rule
 *     divides by; NaN when not computed
 * @param extra the derivative in each extra coordinate of the run (for example {@code lambdaC}
 *     of a variational student), by name; empty for a plain student
 */
public record HyperGradientResult(Unconstrained gradient, double validationLoss, boolean finite,
    double validationGradientNormSquared, java.util.Map<String, Double> extra) {

  /** Copies the extras. */
  public HyperGradientResult {
    extra = java.util.Map.copyOf(extra);
  }

  /** A result without extra coordinates. */
  public HyperGradientResult(Unconstrained gradient, double validationLoss, boolean finite,
      double validationGradientNormSquared) {
    this(gradient, validationLoss, finite, validationGradientNormSquared, java.util.Map.of());
  }

  /** A result without ‖v‖². */
  public HyperGradientResult(Unconstrained gradient, double validationLoss, boolean finite) {
    this(gradient, validationLoss, finite, Double.NaN);
  }
}
