package io.distilflux.pipeline.event;

/**
 * Meta-parameters in their natural coordinates (docs/method.md §1).
 *
 * @param lambda1 weight of the cross-entropy with the true labels, in [0, 1]
 * @param lambda2 weight of the distillation term, in [0, 1]
 * @param temperature distillation temperature T, in [0.1, 10]
 */
public record MetaValues(double lambda1, double lambda2, double temperature) {}
