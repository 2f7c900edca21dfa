package io.distilflux.trainer.distill;

import java.util.List;
import java.util.Optional;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link StudentComputation} through DL4J's own layer code; works for every network. DL4J keeps
 * one set of activations and has no forward mode, so the passes share it and the trainer
 * differences two forwards for J·u.
 */
final class Dl4jStudentComputation implements StudentComputation {

  private final MultiLayerNetwork student;

  Dl4jStudentComputation(MultiLayerNetwork student) {
    this.student = student;
    student.initGradientsView();
  }

  @Override
  public INDArray trainingLogits(Pass pass, INDArray features) {
    student.setInput(features);
    List<INDArray> activations = student.feedForward(true, false);
    return activations.get(activations.size() - 1);
  }

  @Override
  public INDArray logits(INDArray features, boolean training) {
    return student.output(features, training);
  }

  @Override
  public INDArray backward(Pass pass, INDArray outputGradient) {
    student.backpropGradient(outputGradient, LayerWorkspaceMgr.noWorkspaces());
    return student.getFlattenedGradients().dup().reshape(student.params().shape());
  }

  @Override
  public Optional<INDArray> tangent(INDArray direction) {
    return Optional.empty();
  }

  @Override
  public String name() {
    return "dl4j-layers";
  }
}
