package io.distilflux.trainer.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.model.StudentArchitectures;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DistillationTrainerTest {

  private static final StudentArchitectures STUDENTS = StudentArchitectures.withDefaults();
  // the smallest image cifar-very-tiny accepts (22 → 20 → 10 → 8 → 4 → 2 → 1), to keep tests fast
  private static final long[] IMAGE = {3, 22, 22};
  private static final Unconstrained B = new Unconstrained(0.5, -0.5, -1.0);

  @ParameterizedTest
  @EnumSource(value = OptimizerKind.class, names = {"SGD", "ADAM"})
  void sameSeedAndConfigGiveTheSameLossTrajectory(OptimizerKind kind) {
    assertArrayEquals(trajectory(kind, 21), trajectory(kind, 21));
    assertFalse(java.util.Arrays.equals(trajectory(kind, 21), trajectory(kind, 22)),
        "a different weight seed must change the trajectory");
  }

  private static double[] trajectory(OptimizerKind kind, long weightSeed) {
    Nd4j.getRandom().setSeed(99);
    DistillationTrainer trainer = new DistillationTrainer(
        STUDENTS.create(StudentArchitectures.CIFAR_VERY_TINY, IMAGE, 10, weightSeed,
            DataType.FLOAT),
        kind, 0.01, false);
    Split validation = randomSplit(IMAGE, 10, 4);
    double[] losses = new double[4];
    for (int i = 0; i < 2; i++) {
      Batch batch = randomBatch(IMAGE, 10, 4);
      losses[2 * i] = trainer.step(batch, B).trainLoss();
      StepOutcome withHyper = trainer.stepWithHyperGradient(batch, validation, B);
      losses[2 * i + 1] = withHyper.hyperGradient().orElseThrow().gradient().b3();
    }
    return losses;
  }

  @ParameterizedTest
  @EnumSource(value = OptimizerKind.class, names = {"SGD", "ADAM"})
  void hyperGradientStepTakesExactlyThePlainStep(OptimizerKind kind) {
    Nd4j.getRandom().setSeed(3);
    Batch batch = randomBatch(IMAGE, 10, 4);
    Split validation = randomSplit(IMAGE, 10, 4);
    DistillationTrainer plain = cifarTrainer(kind);
    DistillationTrainer hyper = cifarTrainer(kind);
    for (int i = 0; i < 2; i++) {
      StepOutcome a = plain.step(batch, B);
      StepOutcome b = hyper.stepWithHyperGradient(batch, validation, B);
      assertEquals(a.trainLoss(), b.trainLoss(), 0.0);
      assertTrue(b.hyperGradient().orElseThrow().finite());
    }
    assertEquals(plain.student().params(), hyper.student().params());
    assertEquals(plain.optimizerState().steps(), hyper.optimizerState().steps());
  }

  @Test
  void aPreparedForwardGivesTheSameStepsAndAStaleOneIsRefused() {
    Nd4j.getRandom().setSeed(4);
    Batch batch = randomBatch(IMAGE, 10, 4);
    Batch other = randomBatch(IMAGE, 10, 4);
    Split validation = randomSplit(IMAGE, 10, 4);
    DistillationTrainer direct = cifarTrainer(OptimizerKind.ADAM);
    DistillationTrainer prepared = cifarTrainer(OptimizerKind.ADAM);

    StepOutcome a = direct.stepWithHyperGradient(batch, validation, B);
    StepOutcome b = prepared.stepWithHyperGradient(prepared.prepare(batch), validation, B);
    assertEquals(a, b);
    assertEquals(direct.step(other, B.toValues()),
        prepared.step(prepared.prepare(other), B.toValues()));
    assertEquals(direct.student().params(), prepared.student().params());

    DistillationTrainer.PreparedStep stale = prepared.prepare(batch);
    prepared.prepare(other);
    assertThrows(IllegalStateException.class, () -> prepared.step(stale, B.toValues()));
    DistillationTrainer.PreparedStep used = prepared.prepare(batch);
    prepared.step(used, B.toValues());
    assertThrows(IllegalStateException.class, () -> prepared.step(used, B.toValues()));
  }

  @Test
  void metaValuesCanChangeBetweenStepsWithoutRebuilding() {
    Nd4j.getRandom().setSeed(4);
    DistillationTrainer trainer = new DistillationTrainer(
        STUDENTS.create(StudentArchitectures.LOGREG, new long[] {3}, 2, 1, DataType.FLOAT),
        OptimizerKind.SGD, 0.1, false);
    Batch batch = randomBatch(new long[] {3}, 2, 16);
    for (Unconstrained b : new Unconstrained[] {
        new Unconstrained(3, -3, 0), new Unconstrained(-3, 3, 2), new Unconstrained(0, 0, -2)}) {
      MetaValues values = b.toValues();
      StepOutcome outcome = trainer.step(batch, b);
      assertEquals(values.lambda1() * outcome.ceLoss() + values.lambda2() * outcome.kdLoss(),
          outcome.trainLoss(), 1e-5);
    }
    MultiLayerNetwork labelsOnly =
        STUDENTS.create(StudentArchitectures.LOGREG, new long[] {3}, 2, 1, DataType.FLOAT);
    MultiLayerNetwork teacherOnly = labelsOnly.clone();
    new DistillationTrainer(labelsOnly, OptimizerKind.SGD, 0.1, false)
        .step(batch, new Unconstrained(5, -5, 0));
    new DistillationTrainer(teacherOnly, OptimizerKind.SGD, 0.1, false)
        .step(batch, new Unconstrained(-5, 5, 0));
    assertNotEquals(labelsOnly.params(), teacherOnly.params());
  }

  @Test
  void batchNormRunningStatisticsFollowDl4jAndStayOutOfTheOptimizer() {
    Nd4j.getRandom().setSeed(5);
    DistillationTrainer trainer = cifarTrainer(OptimizerKind.ADAM);
    MultiLayerNetwork student = trainer.student();
    assertEquals(student.numParams() - (8 + 16 + 32) * 2, trainer.mask().trainableCount());
    Batch batch = randomBatch(IMAGE, 10, 4);
    INDArray convOutput = student.feedForward(batch.features(), true).get(1);
    INDArray batchMean = convOutput.mean(0, 2, 3);
    INDArray runningMean = student.getLayer(1).getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
    INDArray before = runningMean.dup();

    trainer.stepWithHyperGradient(batch, randomSplit(IMAGE, 10, 4), B);

    double decay = 0.9;
    INDArray expected = before.mul(decay).addi(batchMean.reshape(before.shape()).mul(1 - decay));
    assertTrue(runningMean.sub(expected).amaxNumber().doubleValue() < 1e-5,
        "running mean " + runningMean + " expected " + expected);
    OptimizerState state = trainer.optimizerState();
    INDArray frozen = trainer.mask().values().rsub(1.0);
    assertEquals(0.0, state.secondMoment().mul(frozen).sumNumber().doubleValue(), 0.0);
  }

  @Test
  void restoringOptimizerStateReplaysTheSameStep() {
    Nd4j.getRandom().setSeed(6);
    DistillationTrainer trainer = cifarTrainer(OptimizerKind.ADAM);
    Batch first = randomBatch(IMAGE, 10, 4);
    Batch second = randomBatch(IMAGE, 10, 4);
    trainer.step(first, B);
    INDArray params = trainer.student().params().dup();
    OptimizerState state = trainer.optimizerState();
    trainer.step(second, B);
    INDArray afterSecond = trainer.student().params().dup();

    trainer.step(first, B);
    trainer.student().params().assign(params);
    trainer.restoreOptimizerState(state);
    trainer.step(second, B);

    assertEquals(afterSecond, trainer.student().params());
    assertEquals(2, trainer.optimizerState().steps());
  }

  @Test
  void evaluationCountsArgMaxHitsAndAveragesCrossEntropyOverAllBatches() {
    MultiLayerNetwork student =
        STUDENTS.create(StudentArchitectures.LOGREG, new long[] {2}, 2, 1, DataType.DOUBLE);
    // z = x exactly: identity weights, zero bias
    student.params().assign(Nd4j.createFromArray(1.0, 0.0, 0.0, 1.0, 0.0, 0.0));
    int n = 1100;
    INDArray features = Nd4j.zeros(DataType.DOUBLE, n, 2);
    INDArray labels = Nd4j.zeros(DataType.DOUBLE, n, 2);
    double expectedLoss = 0;
    long expectedHits = 0;
    for (int i = 0; i < n; i++) {
      double margin = (i % 7) - 3.5;
      features.putScalar(i, 0, margin);
      int label = i % 3 == 0 ? 1 : 0;
      labels.putScalar(i, label, 1.0);
      double zLabel = label == 0 ? margin : 0;
      expectedLoss += Math.log(Math.exp(margin) + 1) - zLabel;
      expectedHits += (margin > 0) == (label == 0) ? 1 : 0;
    }
    EvaluationResult result = new DistillationTrainer(student, OptimizerKind.SGD, 0.1, false)
        .evaluate(new Split(features, labels));
    assertEquals((double) expectedHits / n, result.accuracy(), 1e-12);
    assertEquals(expectedLoss / n, result.loss(), 1e-9);
  }

  @Test
  void nonFiniteHyperGradientIsFlagged() {
    Nd4j.getRandom().setSeed(7);
    DistillationTrainer trainer = cifarTrainer(OptimizerKind.SGD);
    Batch batch = randomBatch(IMAGE, 10, 4);
    Split validation = randomSplit(IMAGE, 10, 4);
    validation.features().putScalar(new long[] {0, 0, 0, 0}, Double.NaN);
    HyperGradientResult result =
        trainer.stepWithHyperGradient(batch, validation, B).hyperGradient().orElseThrow();
    assertFalse(result.finite());
  }

  private static DistillationTrainer cifarTrainer(OptimizerKind kind) {
    return new DistillationTrainer(
        STUDENTS.create(StudentArchitectures.CIFAR_VERY_TINY, IMAGE, 10, 42, DataType.FLOAT),
        kind, 0.01, false);
  }

  static Batch randomBatch(long[] featureShape, int classes, int size) {
    Split split = randomSplit(featureShape, classes, size);
    INDArray teacher = Nd4j.randn(DataType.FLOAT, size, classes).muli(2);
    return new Batch(split.features(), split.labels(), teacher);
  }

  static Split randomSplit(long[] featureShape, int classes, int size) {
    long[] shape = new long[featureShape.length + 1];
    shape[0] = size;
    System.arraycopy(featureShape, 0, shape, 1, featureShape.length);
    INDArray features = Nd4j.randn(DataType.FLOAT, shape);
    INDArray labels = Nd4j.zeros(DataType.FLOAT, size, classes);
    for (int i = 0; i < size; i++) {
      labels.putScalar(i, Nd4j.getRandom().nextInt(classes), 1.0);
    }
    return new Split(features, labels);
  }
}
