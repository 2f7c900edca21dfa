package io.distilflux.trainer.distill;

import io.distilflux.trainer.speed.NativeOpsStep;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How {@link DistillationTrainer} computes the student's training-mode logits and parameter
 * gradients on the network's own parameters: through DL4J's layers, or through hand-written
 * libnd4j ops when the network has the structure {@link NativeOpsStep} supports (the
 * cifar-very-tiny student). Both give the same numbers to float rounding.
 */
interface StudentComputation {

  /**
   * Training-mode forward (batch-norm on batch statistics) that keeps what {@link #backward}
   * needs.
   *
   * @return logits [B, K], owned by the caller
   */
  INDArray trainingLogits(INDArray features);

  /**
   * Forward only.
   *
   * @param training batch statistics (true) or running statistics (false) in batch-norm
   * @return logits [B, K], owned by the caller
   */
  INDArray logits(INDArray features, boolean training);

  /**
   * ∇w of the loss whose output gradient is {@code outputGradient}, through the latest {@link
   * #trainingLogits}.
   *
   * @return a fresh array shaped like {@code net.params()}
   */
  INDArray backward(INDArray outputGradient);

  /** Short name of the path, for logs and benchmarks. */
  String name();

  /**
   * The native-ops path when the network supports it, on {@code threads} threads, DL4J's layers
   * otherwise.
   */
  static StudentComputation forNetwork(MultiLayerNetwork network, int threads) {
    return NativeOpsStep.supports(network)
        ? new NativeStudentComputation(network, threads)
        : new Dl4jStudentComputation(network);
  }
}
