package io.distilflux.trainer.speed;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One plain training step of the student: forward in training mode (batch statistics in BatchNorm)
 * and backprop of a given output gradient to the gradient of every parameter.
 */
public interface PlainStep {

  /** Training-mode forward pass; {@code inputNchw} is [B, 3, 32, 32], returns logits [B, 10]. */
  INDArray logits(INDArray inputNchw);

  /**
   * Forward in training mode and backprop of {@code epsilon} = dLoss/dLogits [B, 10].
   *
   * @return the flat parameter gradient (a view that the next step overwrites)
   */
  INDArray step(INDArray inputNchw, INDArray epsilon);
}
