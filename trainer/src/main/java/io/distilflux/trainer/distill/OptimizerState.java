package io.distilflux.trainer.distill;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Snapshot of an {@link InnerOptimizer}'s state, for checkpoints. Copies, not views.
 *
 * @param firstMoment Adam's m, shape of the flat parameters (zeros for SGD)
 * @param secondMoment Adam's v, shape of the flat parameters (zeros for SGD)
 * @param steps number of real steps taken (Adam's t)
 */
public record OptimizerState(INDArray firstMoment, INDArray secondMoment, long steps) {}
