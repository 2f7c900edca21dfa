package io.distilflux.trainer.distill;

import io.distilflux.trainer.speed.NativeOpsStep;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link StudentComputation} through {@link NativeOpsStep} for training-mode passes; inference
 * (running statistics, used only by evaluation) stays on DL4J's layers.
 */
final class NativeStudentComputation implements StudentComputation {

  private final MultiLayerNetwork student;
  private final NativeOpsStep ops;

  NativeStudentComputation(MultiLayerNetwork student, int threads) {
    this.student = student;
    this.ops = new NativeOpsStep(student, threads);
  }

  @Override
  public INDArray trainingLogits(INDArray features) {
    // NativeOpsStep reuses its logits buffer on the next forward; callers keep several logits
    return ops.logits(features).dup();
  }

  @Override
  public INDArray logits(INDArray features, boolean training) {
    return training ? ops.logits(features).dup() : student.output(features, false);
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    return ops.backward(outputGradient).dup().reshape(student.params().shape());
  }

  @Override
  public String name() {
    return "native-ops";
  }
}
