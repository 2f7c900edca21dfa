package io.distilflux.trainer.distill;

/**
 * Student quality on a split, in inference mode.
 *
 * @param accuracy fraction of examples whose arg-max logit is the label
 * @param loss mean CE(y, softmax(z)) at T = 1
 */
public record EvaluationResult(double accuracy, double loss) {}
