package io.distilflux.trainer.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.StructureChosen;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.structure.Supernet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class SupernetEngineTest {

  private static final int FEATURES = 5;
  private static final int CLASSES = 3;

  @Test
  void theStructureIsChosenOnceAtTheFirstMiniEpochBoundaryPastTheSearchThenTheStudentDistils() {
    Nd4j.getRandom().setSeed(3);
    Supernet net = new Supernet(FEATURES, new int[] {4, 2}, new boolean[] {false, true}, 3,
        CLASSES);
    MultiLayerNetwork placeholder =
        DenseEngineTest.mlp(Activation.RELU, DataType.DOUBLE, 1, FEATURES, 4);
    DistillationTrainer trainer = DistillationTrainer.supernet(placeholder, net, 0.01,
        new DistillationLoss(false), 7, 3, 2);
    Batch batch = HyperGradientCheckTest.randomBatch(new long[] {FEATURES}, CLASSES, 8);
    Split validation = HyperGradientCheckTest.randomSplit(new long[] {FEATURES}, CLASSES, 8);
    Map<String, Double> logits = new TreeMap<>();
    double[] values = {0.5, -0.2, 0.1, 0.3};
    for (int i = 0; i < values.length; i++) {
      logits.put(ExtraParameter.structureLogit(i).jsonName(), values[i]);
    }
    Unconstrained b = Unconstrained.fromValues(new MetaValues(0.5, 0.5, 2));

    for (long step = 0; step < 4; step++) {
      assertFalse(trainer.structureDue(step), "due before step " + step);
      StepOutcome outcome = trainer.stepWithHyperGradient(trainer.prepare(batch), validation, b,
          logits);
      HyperGradientResult hg = outcome.hyperGradient().orElseThrow();
      assertTrue(hg.finite());
      assertEquals(logits.keySet(), hg.extra().keySet());
      assertTrue(hg.extra().values().stream().anyMatch(g -> g != 0), "the logits' gradient");
      assertEquals(0, outcome.kdLoss(), "the supernet trains on the labels");
    }
    // three search steps, the boundary of a two-step mini-epoch after them is step 4
    assertTrue(trainer.structureDue(4));
    StructureChosen chosen = trainer.chooseStructure("r", 3, b.toValues());
    assertEquals(List.of(4, 3), chosen.hiddenSizes(), "width 4 (logit 0.5), deep output (0.3)");
    assertEquals(List.of(0.5, -0.2, 0.1, 0.3), chosen.structureLogits());
    assertFalse(trainer.structureDue(6), "chosen once");
    assertThrows(IllegalStateException.class, () -> trainer.chooseStructure("r", 5, b.toValues()));

    StepOutcome after = trainer.stepWithHyperGradient(trainer.prepare(batch), validation, b,
        logits);
    assertTrue(after.kdLoss() > 0, "the student distils from the supernet");
    assertTrue(after.hyperGradient().orElseThrow().extra().values().stream()
        .allMatch(g -> g == 0), "the structure is fixed");
    assertTrue(trainer.evaluate(validation).accuracy() >= 0);
  }

  @Test
  void theTemperatureFallsGeometricallyToOneTenthAtTheLastSearchStepAndStaysThereUntilTheSwitch() {
    Supernet net = new Supernet(FEATURES, new int[] {4, 2}, new boolean[] {false, true}, 3,
        CLASSES);
    // five search steps, a mini-epoch of four: steps 5–7 wait for the boundary at 8
    DistillationTrainer trainer = DistillationTrainer.supernet(
        DenseEngineTest.mlp(Activation.RELU, DataType.DOUBLE, 1, FEATURES, 4), net, 0.01,
        new DistillationLoss(false), 7, 5, 4);
    Batch batch = HyperGradientCheckTest.randomBatch(new long[] {FEATURES}, CLASSES, 8);
    Split validation = HyperGradientCheckTest.randomSplit(new long[] {FEATURES}, CLASSES, 8);
    Map<String, Double> logits = new TreeMap<>();
    for (int i = 0; i < net.structureSize(); i++) {
      logits.put(ExtraParameter.structureLogit(i).jsonName(), 0.1 * i);
    }
    Unconstrained b = Unconstrained.fromValues(new MetaValues(0.5, 0.5, 2));
    double[] used = new double[8];
    for (int step = 0; step < used.length; step++) {
      assertFalse(trainer.structureDue(step));
      // plain and hypergradient steps follow the same schedule
      if (step % 2 == 0) {
        trainer.stepWithHyperGradient(trainer.prepare(batch), validation, b, logits);
      } else {
        trainer.step(trainer.prepare(batch), b.toValues(), logits);
      }
      used[step] = trainer.diagnostics(null).get(TrainingStep.GUMBEL_TEMPERATURE);
    }
    for (int step = 0; step < 5; step++) {
      // c_t = 0.1^(t/4): 1, 0.562, 0.316, 0.178, 0.1
      assertEquals(Math.pow(0.1, step / 4.0), used[step], 1e-12, "c at step " + step);
    }
    for (int step = 5; step < used.length; step++) {
      assertEquals(0.1, used[step], 1e-12, "c held at step " + step);
    }
    assertTrue(trainer.structureDue(8));
    trainer.chooseStructure("r", 7, b.toValues());
    trainer.step(trainer.prepare(batch), b.toValues(), logits);
    assertEquals(Map.of(), trainer.diagnostics(null), "the student samples no structure");
  }

  @Test
  void aStepWithoutTheLogitsIsRefusedWithTheMissingName() {
    Supernet net = new Supernet(FEATURES, new int[] {4, 2}, new boolean[] {false, true}, 3,
        CLASSES);
    DistillationTrainer trainer = DistillationTrainer.supernet(
        DenseEngineTest.mlp(Activation.RELU, DataType.DOUBLE, 1, FEATURES, 4), net, 0.01,
        new DistillationLoss(false), 7, 3, 2);
    Batch batch = HyperGradientCheckTest.randomBatch(new long[] {FEATURES}, CLASSES, 8);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> trainer.step(trainer.prepare(batch), new MetaValues(0.5, 0.5, 2), Map.of()));
    assertEquals("a supernet student's step needs logAlpha0 among the run's extra"
        + " meta-parameters", e.getMessage());
  }
}
