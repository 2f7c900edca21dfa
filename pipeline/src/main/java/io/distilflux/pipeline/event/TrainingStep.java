package io.distilflux.pipeline.event;

/**
 * One optimisation step of the student.
 *
 * @param schemaVersion schema version written
 * @param runId run id (record key)
 * @param step global step index, from 0
 * @param epoch epoch index, from 0
 * @param phase how λ was obtained for this step
 * @param trainLoss λ1·CE + λ2·KD on the step's batch
 * @param ceLoss CE(y, softmax(z)) part, unweighted
 * @param kdLoss CE(softmax(f/T), softmax(z/T)) part, unweighted
 * @param meta λ1, λ2 and T used for the step
 * @param durationSeconds wall time of the step, hypergradient included, in seconds
 * @param timestampMillis end of the step, epoch milliseconds
 * @param extra the values of the run's extra meta-parameters the step used, by name (natural
 *     values, not coordinates), and for a variational student its diagnostics {@value #KL} and,
 *     at evaluation steps, {@value #STABILITY}, for a supernet student's search steps the
 *     Gumbel-softmax temperature {@value #GUMBEL_TEMPERATURE}; empty before schema version 4
 */
public record TrainingStep(
    int schemaVersion,
    String runId,
    long step,
    int epoch,
    Phase phase,
    double trainLoss,
    double ceLoss,
    double kdLoss,
    MetaValues meta,
    double durationSeconds,
    long timestampMillis,
    java.util.Map<String, Double> extra)
    implements Event {

  /** Name in {@link #extra()} of a variational student's KL(q‖p) after the step. */
  public static final String KL = "kl";
  /**
   * Name in {@link #extra()} of a variational student's stability S = acc(0 %)/acc(90 % pruned)
   * on a test slice after the step, at the steps that are evaluated.
   */
  public static final String STABILITY = "stability";
  /**
   * Name in {@link #extra()} of the Gumbel-softmax temperature c a supernet student's search step
   * used (absent after the switch to the discrete student).
   */
  public static final String GUMBEL_TEMPERATURE = "gumbelTemperature";

  /** Bounds and copies the extras (absent: none). */
  public TrainingStep {
    extra = Extras.copy(extra, "extra");
  }

  /** A step of (λ1, λ2, T) only. */
  public TrainingStep(int schemaVersion, String runId, long step, int epoch, Phase phase,
      double trainLoss, double ceLoss, double kdLoss, MetaValues meta, double durationSeconds,
      long timestampMillis) {
    this(schemaVersion, runId, step, epoch, phase, trainLoss, ceLoss, kdLoss, meta,
        durationSeconds, timestampMillis, java.util.Map.of());
  }
}
