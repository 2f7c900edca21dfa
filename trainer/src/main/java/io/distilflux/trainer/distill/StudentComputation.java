package io.distilflux.trainer.distill;

import io.distilflux.trainer.speed.NativeOpsStep;
import java.util.Optional;
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
   * Which batch a training-mode pass is on. Each keeps its own activations, so the training
   * batch's survive the validation pass at w' for a following {@link #tangent}.
   */
  enum Pass {
    TRAINING,
    VALIDATION
  }

  /**
   * Training-mode forward (batch-norm on batch statistics) that keeps what {@link #backward}
   * and {@link #tangent} need.
   *
   * @return logits [B, K], owned by the caller
   */
  INDArray trainingLogits(Pass pass, INDArray features);

  /**
   * ∇w of the loss whose output gradient is {@code outputGradient}, through the latest {@link
   * #trainingLogits} of the pass.
   *
   * @return a fresh array shaped like {@code net.params()}
   */
  INDArray backward(Pass pass, INDArray outputGradient);

  /**
   * Forward only.
   *
   * @param training batch statistics (true) or running statistics (false) in batch-norm
   * @return logits [B, K], owned by the caller
   */
  INDArray logits(INDArray features, boolean training);

  /**
   * The exact Jacobian-vector product J·u of the logits of the latest {@link Pass#TRAINING}
   * forward along the parameter direction u (forward mode), at the parameters that forward read,
   * which the caller has left unchanged or restored; empty when this computation has no forward
   * mode (the caller then differences two forwards).
   *
   * @return J·u [B, K], owned by the caller
   */
  Optional<INDArray> tangent(INDArray direction);

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
