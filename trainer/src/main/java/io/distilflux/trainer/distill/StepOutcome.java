package io.distilflux.trainer.distill;

import java.util.Optional;

/**
 * What one training step measured.
 *
 * @param trainLoss L_train = λ1·CE + λ2·κ·KD on the batch, before the step
 * @param ceLoss unweighted CE(y, softmax(z)) on the batch
 * @param kdLoss unweighted CE(softmax(f/T), softmax(z/T)) on the batch (no T² factor)
 * @param hyperGradient present when the step computed dL_val/db
 */
public record StepOutcome(
    double trainLoss, double ceLoss, double kdLoss, Optional<HyperGradientResult> hyperGradient) {}
