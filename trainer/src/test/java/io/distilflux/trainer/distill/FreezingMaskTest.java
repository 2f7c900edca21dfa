package io.distilflux.trainer.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.model.HostArrays;
import java.util.Arrays;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A freezing mask on the student's optimizer: frozen entries neither move in a real step nor
 * enter the hypergradient's virtual step, whose sensitivity P ⊙ α is zero there.
 */
class FreezingMaskTest {

  private static double[] everyThirdFrozen(long n) {
    double[] alpha = new double[(int) n];
    for (int k = 0; k < alpha.length; k++) {
      alpha[k] = k % 3 == 0 ? 0 : 1;
    }
    return alpha;
  }

  @Test
  void frozenEntriesGetNoStepAndNoSensitivity() {
    for (OptimizerKind kind : new OptimizerKind[] {OptimizerKind.SGD, OptimizerKind.ADAM}) {
      MultiLayerNetwork network = DenseEngineTest.mlp(Activation.TANH, DataType.DOUBLE, 3);
      TrainableMask full = TrainableMask.of(network);
      double[] alpha = everyThirdFrozen(full.totalCount());
      TrainableMask mask = full.freezing(alpha);
      assertEquals(full.trainableCount() - (full.totalCount() + 2) / 3, mask.trainableCount());
      InnerOptimizer optimizer = new InnerOptimizer(kind, 0.1, mask);
      INDArray gradient = Nd4j.rand(DataType.DOUBLE, network.params().shape()).subi(0.5);
      InnerOptimizer.ProposedStep step = optimizer.propose(gradient);
      double[] delta = HostArrays.read(step.delta());
      INDArray v = Nd4j.rand(DataType.DOUBLE, network.params().shape()).addi(0.5);
      double[] u = HostArrays.read(optimizer.sensitivity(step, v));
      double[] before = HostArrays.read(network.params());
      optimizer.apply(network.params(), step);
      double[] after = HostArrays.read(network.params());
      for (int k = 0; k < alpha.length; k++) {
        if (alpha[k] == 0) {
          assertEquals(0.0, delta[k], 0.0, kind + " Δ " + k);
          assertEquals(0.0, u[k], 0.0, kind + " sensitivity " + k);
          assertEquals(before[k], after[k], kind + " w " + k);
        } else {
          assertNotEquals(0.0, delta[k], kind + " Δ " + k);
          assertNotEquals(0.0, u[k], kind + " sensitivity " + k);
        }
      }
    }
  }

  @Test
  void aFrozenStudentsFrozenEntriesStayThroughStepsOnBothPaths() {
    for (boolean denseEngine : new boolean[] {true, false}) {
      // 4 features → 6 → 3 logits
      MultiLayerNetwork network = DenseEngineTest.mlp(Activation.RELU, DataType.DOUBLE, 7, 4, 6);
      DistillationLoss loss = new DistillationLoss(false);
      DistillationTrainer trainer = denseEngine
          ? new DistillationTrainer(network, OptimizerKind.ADAM, 0.05, loss, 1)
          : new DistillationTrainer(network, OptimizerKind.ADAM, 0.05, loss,
              Dl4jStudentComputation::new);
      Unconstrained b = new Unconstrained(0.3, -0.4, -0.7);
      long[] features = {4};
      trainer.step(HyperGradientCheckTest.randomBatch(features, 3, 8), b);
      double[] alpha = everyThirdFrozen(network.params().length());
      trainer.freeze(alpha);
      assertEquals(trainer.mask().trainableCount(),
          Arrays.stream(alpha).sum(), 0.0);
      double[] before = HostArrays.read(network.params());
      trainer.step(HyperGradientCheckTest.randomBatch(features, 3, 8), b);
      trainer.stepWithHyperGradient(
          HyperGradientCheckTest.randomBatch(features, 3, 8),
          HyperGradientCheckTest.randomSplit(features, 3, 8), b);
      double[] after = HostArrays.read(network.params());
      int moved = 0;
      for (int k = 0; k < alpha.length; k++) {
        if (alpha[k] == 0) {
          assertEquals(before[k], after[k], 0.0, trainer.computationPath() + " w " + k);
        } else if (before[k] != after[k]) {
          moved++;
        }
      }
      assertNotEquals(0, moved, trainer.computationPath());
      assertEquals(3, trainer.optimizerState().steps(), trainer.computationPath());
    }
  }

  @Test
  void aMaskOfTheWrongLengthOrNotZeroOneIsRejected() {
    TrainableMask mask = TrainableMask.of(DenseEngineTest.mlp(Activation.TANH, DataType.DOUBLE,
        3));
    assertThrows(IllegalArgumentException.class, () -> mask.freezing(new double[3]));
    double[] half = new double[(int) mask.totalCount()];
    half[0] = 0.5;
    assertThrows(IllegalArgumentException.class, () -> mask.freezing(half));
  }
}
