package io.distilflux.pipeline.event;

/**
 * The one-step hypergradient dL_val(U(w, b))/db computed after a training step (method.md §2).
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
 */
public record HyperGradient(
    int schemaVersion,
    String runId,
    long step,
    Unconstrained at,
    Unconstrained gradient,
    double validationLoss,
    double innerLearningRate,
    double validationGradientNormSquared)
    implements Event {

  /** A hypergradient without ‖v‖² (NaN), as schema version 1 wrote it. */
  public HyperGradient(int schemaVersion, String runId, long step, Unconstrained at,
      Unconstrained gradient, double validationLoss, double innerLearningRate) {
    this(schemaVersion, runId, step, at, gradient, validationLoss, innerLearningRate, Double.NaN);
  }
}
