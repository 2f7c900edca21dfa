package io.distilflux.trainer.distill;

import io.distilflux.trainer.speed.NativeOpsStep;
import java.util.Optional;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link StudentComputation} through {@link NativeOpsStep}: one instance per {@link
 * StudentComputation.Pass} so that each batch keeps its activations, and one for inference
 * (running statistics, used by evaluation) with buffers of its own evaluation batch shapes.
 */
final class NativeStudentComputation implements StudentComputation {

  private final MultiLayerNetwork student;
  private final NativeOpsStep training;
  private final NativeOpsStep validation;
  private final NativeOpsStep inference;

  NativeStudentComputation(MultiLayerNetwork student, int threads) {
    this.student = student;
    this.training = new NativeOpsStep(student, threads);
    this.validation = new NativeOpsStep(student, threads);
    this.inference = new NativeOpsStep(student, threads);
  }

  @Override
  public INDArray trainingLogits(Pass pass, INDArray features) {
    // NativeOpsStep reuses its logits buffer on the next forward; callers keep several logits
    return ops(pass).logits(features).dup();
  }

  @Override
  public INDArray backward(Pass pass, INDArray outputGradient) {
    return ops(pass).backward(outputGradient).dup().reshape(student.params().shape());
  }

  @Override
  public INDArray logits(INDArray features, boolean training) {
    // a scratch forward goes through the validation pass's buffers, never the training batch's
    if (training) {
      return validation.logits(features).dup();
    }
    return inference.hasInference() ? inference.inferenceLogits(features).dup()
        : student.output(features, false);
  }

  @Override
  public Optional<INDArray> tangent(INDArray direction) {
    return training.hasTangent() ? Optional.of(training.tangent(direction).dup())
        : Optional.empty();
  }

  @Override
  public String name() {
    return "native-ops";
  }

  private NativeOpsStep ops(Pass pass) {
    return pass == Pass.TRAINING ? training : validation;
  }
}
