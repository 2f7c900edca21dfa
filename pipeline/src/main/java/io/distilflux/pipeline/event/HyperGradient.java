package io.distilflux.pipeline.event;

/**
 * The one-step hypergradient dL_val(U(w, b))/db computed after a training step (docs/method.md §2).
 *
 * @param schemaVersion schema version written
 * @param runId run id (record key)
 * @param step the training step it was computed after; the update applies to step + 1
 * @param at the meta-parameters b the step used
 * @param gradient dL_val/db, one component per coordinate of b (may be non-finite: consumers
 *     skip and count such values)
 * @param validationLoss L_val(w') on the validation batch
 * @param innerLearningRate the student's learning rate γ of the virtual step
 * @param validationGradientNormSquared ‖v‖², v = ∇w L_val(w') (the normalised meta rule divides
 *     by it); NaN when unknown, as in records of schema version 1
 * @param extra the run's extra meta-parameters ({@link RunConfig#extraMeta()}) by name: the
 *     coordinate the step used and dL_val/d of it; empty before schema version 4
 */
public record HyperGradient(
    int schemaVersion,
    String runId,
    long step,
    Unconstrained at,
    Unconstrained gradient,
    double validationLoss,
    double innerLearningRate,
    double validationGradientNormSquared,
    java.util.Map<String, ExtraGradient> extra)
    implements Event {

  /** Bounds and copies the extras (absent: none). */
  public HyperGradient {
    extra = Extras.copy(extra, "extra");
  }

  /** A hypergradient of (λ1, λ2, T) only. */
  public HyperGradient(int schemaVersion, String runId, long step, Unconstrained at,
      Unconstrained gradient, double validationLoss, double innerLearningRate,
      double validationGradientNormSquared) {
    this(schemaVersion, runId, step, at, gradient, validationLoss, innerLearningRate,
        validationGradientNormSquared, java.util.Map.of());
  }

  /** A hypergradient without ‖v‖² (NaN), as schema version 1 wrote it. */
  public HyperGradient(int schemaVersion, String runId, long step, Unconstrained at,
      Unconstrained gradient, double validationLoss, double innerLearningRate) {
    this(schemaVersion, runId, step, at, gradient, validationLoss, innerLearningRate, Double.NaN);
  }
}
