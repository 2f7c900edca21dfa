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
    long timestampMillis)
    implements Event {}
