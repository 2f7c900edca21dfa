package io.distilflux.trainer.distill;

import java.util.List;
import java.util.Optional;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link StudentComputation} through DL4J's own layer code; works for every network. DL4J has no
 * forward mode: all-dense students get an exact J·u from {@link DenseTangent}, the others leave
 * the trainer to difference two forwards.
 */
final class Dl4jStudentComputation implements StudentComputation {

  private final MultiLayerNetwork student;
  /** Forward mode for all-dense students, null for the others. */
  private final DenseTangent denseTangent;
  /** The latest training pass's feed-forward activations (detached copies). */
  private List<INDArray> trainingActivations;

  Dl4jStudentComputation(MultiLayerNetwork student) {
    this.student = student;
    this.denseTangent = DenseTangent.forNetwork(student);
    student.initGradientsView();
  }

  @Override
  public INDArray trainingLogits(Pass pass, INDArray features) {
    student.setInput(features);
    List<INDArray> activations = student.feedForward(true, false);
    if (pass == Pass.TRAINING) {
      trainingActivations = activations;
    }
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
    if (denseTangent == null || trainingActivations == null) {
      return Optional.empty();
    }
    return Optional.of(denseTangent.apply(trainingActivations, direction));
  }

  @Override
  public String name() {
    return "dl4j-layers";
  }
}
