package io.distilflux.trainer.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.model.StudentArchitectures;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class StudentComputationTest {

  private static final StudentArchitectures STUDENTS = StudentArchitectures.withDefaults();
  private static final long[] IMAGE = {3, 32, 32};
  private static final int BATCH = 6;

  @Test
  void cifarVeryTinyGetsTheNativePathLogregTheDenseEngineAndTheLargeMlpItsGemmPath() {
    assertEquals("native-ops", new DistillationTrainer(cifarVeryTiny(), OptimizerKind.SGD, 0.1,
        false).computationPath());
    MultiLayerNetwork logreg =
        STUDENTS.create(StudentArchitectures.LOGREG, new long[] {3}, 2, 1, DataType.FLOAT);
    assertEquals("dense-engine",
        new DistillationTrainer(logreg, OptimizerKind.SGD, 0.1, false).computationPath());
    MultiLayerNetwork mlp = STUDENTS.create(
        StudentArchitectures.MNIST_MLP_SMALL, new long[] {784}, 10, 1, DataType.FLOAT);
    assertEquals("dense-gemm",
        new DistillationTrainer(mlp, OptimizerKind.SGD, 0.1, false).computationPath());
  }

  @ParameterizedTest
  @EnumSource(value = OptimizerKind.class, names = {"SGD", "ADAM"})
  void nativeAndDl4jPathsTakeTheSameStepsAndHyperGradients(OptimizerKind kind) {
    DistillationTrainer dl4j = new DistillationTrainer(
        cifarVeryTiny(), kind, 0.01, false, Dl4jStudentComputation::new);
    DistillationTrainer fast = new DistillationTrainer(
        cifarVeryTiny(), kind, 0.01, false, net -> new NativeStudentComputation(net, 2));
    Nd4j.getRandom().setSeed(17);
    Unconstrained b = new Unconstrained(0.3, -0.2, 0.5);
    for (int step = 0; step < 3; step++) {
      Batch batch = new Batch(Nd4j.randn(DataType.FLOAT, BATCH, 3, 32, 32), oneHot(BATCH, step),
          Nd4j.randn(DataType.FLOAT, BATCH, 10).muli(2));
      Split validation = new Split(Nd4j.randn(DataType.FLOAT, BATCH, 3, 32, 32),
          oneHot(BATCH, step + 1));

      StepOutcome expectedPlain = dl4j.step(batch, b);
      StepOutcome actualPlain = fast.step(batch, b);
      assertEquals(expectedPlain.trainLoss(), actualPlain.trainLoss(), 1e-4, "plain loss");
      assertClose("parameters after plain step " + step, dl4j.student().params(),
          fast.student().params(), 1e-3);

      // from equal w, a double copy of the DL4J path is the reference hypergradient: its central
      // difference is accurate in double, where float32's is not (Adam's first steps scale u by
      // up to γ/ε on parameters with a near-zero gradient)
      fast.student().params().assign(dl4j.student().params());
      DistillationTrainer reference = new DistillationTrainer(
          dl4j.student().convertDataType(DataType.DOUBLE), kind, 0.01, false,
          Dl4jStudentComputation::new);
      reference.restoreOptimizerState(dl4j.optimizerState());
      HyperGradientResult e = reference.stepWithHyperGradient(
          toDouble(batch), toDouble(validation), b).hyperGradient().orElseThrow();
      StepOutcome expected = dl4j.stepWithHyperGradient(batch, validation, b);
      StepOutcome actual = fast.stepWithHyperGradient(batch, validation, b);
      assertEquals(expected.trainLoss(), actual.trainLoss(), 1e-4, "hyper step loss");
      HyperGradientResult a = actual.hyperGradient().orElseThrow();
      assertEquals(e.validationLoss(), a.validationLoss(), 1e-4, "validation loss");
      double scale = 0;
      for (int i = 0; i < 3; i++) {
        scale = Math.max(scale, Math.abs(e.gradient().get(i)));
      }
      for (int i = 0; i < 3; i++) {
        assertEquals(e.gradient().get(i), a.gradient().get(i),
            5e-3 * Math.abs(e.gradient().get(i)) + 1e-3 * scale,
            "hypergradient b" + (i + 1) + " at step " + step);
      }
      assertClose("parameters after hypergradient step " + step, dl4j.student().params(),
          fast.student().params(), 1e-3);
    }
  }

  @ParameterizedTest
  @EnumSource(value = OptimizerKind.class, names = {"SGD", "ADAM"})
  void floatHyperGradientThroughTheNativeTangentMatchesADoublePrecisionFiniteDifference(
      OptimizerKind kind) {
    double learningRate = kind == OptimizerKind.SGD ? 0.1 : 0.01;
    assertFloatHyperGradientIsExact(new DistillationTrainer(cifarVeryTiny(), kind, learningRate,
        false, net -> new NativeStudentComputation(net, 2)), IMAGE, kind, learningRate);
  }

  @ParameterizedTest
  @EnumSource(value = OptimizerKind.class, names = {"SGD", "ADAM"})
  void floatHyperGradientThroughTheDenseTangentMatchesADoublePrecisionFiniteDifference(
      OptimizerKind kind) {
    double learningRate = kind == OptimizerKind.SGD ? 0.1 : 0.01;
    long[] features = {784};
    MultiLayerNetwork mlp = STUDENTS.create(
        StudentArchitectures.MNIST_MLP_SMALL, features, 10, 42, DataType.FLOAT);
    assertFloatHyperGradientIsExact(new DistillationTrainer(mlp, kind, learningRate, false,
        Dl4jStudentComputation::new), features, kind, learningRate);
  }

  @ParameterizedTest
  @EnumSource(value = OptimizerKind.class, names = {"SGD", "ADAM"})
  void floatHyperGradientOfTheGemmDenseEngineMatchesADoublePrecisionFiniteDifference(
      OptimizerKind kind) {
    double learningRate = kind == OptimizerKind.SGD ? 0.1 : 0.01;
    long[] features = {784};
    MultiLayerNetwork mlp = STUDENTS.create(
        StudentArchitectures.MNIST_MLP_SMALL, features, 10, 42, DataType.FLOAT);
    DistillationTrainer engine = new DistillationTrainer(mlp, kind, learningRate, false);
    assertEquals("dense-gemm", engine.computationPath());
    assertFloatHyperGradientIsExact(engine, features, kind, learningRate);
  }

  /**
   * A float32 hypergradient against a brute-force central difference of L_val(U(w, b ± h e_i))
   * on a double copy of the same student and optimizer state: relative error below 1e-4.
   */
  private static void assertFloatHyperGradientIsExact(DistillationTrainer fast, long[] features,
      OptimizerKind kind, double learningRate) {
    Nd4j.getRandom().setSeed(23);
    Unconstrained b = new Unconstrained(0.3, -0.4, -0.7);
    // a few real steps so that Adam's moments and bias corrections are non-trivial
    for (int step = 0; step < 3; step++) {
      fast.step(randomBatch(features, step), b);
    }
    Batch batch = randomBatch(features, 5);
    Split validation = new Split(Nd4j.randn(DataType.FLOAT, shape(features)), oneHot(BATCH, 7));

    DistillationTrainer exact = new DistillationTrainer(
        fast.student().convertDataType(DataType.DOUBLE), kind, learningRate, false,
        Dl4jStudentComputation::new);
    exact.restoreOptimizerState(fast.optimizerState());
    Batch batchD = toDouble(batch);
    Split validationD = toDouble(validation);
    double h = 1e-5;
    double[] numeric = new double[3];
    for (int i = 0; i < 3; i++) {
      double[] plus = b.toArray();
      double[] minus = b.toArray();
      plus[i] += h;
      minus[i] -= h;
      numeric[i] = (exact.lookaheadValidationLoss(batchD, validationD, Unconstrained.of(plus))
          - exact.lookaheadValidationLoss(batchD, validationD, Unconstrained.of(minus))) / (2 * h);
    }

    HyperGradientResult result =
        fast.stepWithHyperGradient(batch, validation, b).hyperGradient().orElseThrow();
    for (int i = 0; i < 3; i++) {
      double analytic = result.gradient().get(i);
      double relativeError = Math.abs(analytic - numeric[i])
          / Math.max(Math.abs(analytic), Math.abs(numeric[i]));
      assertTrue(relativeError < 1e-4, kind + " b" + (i + 1) + ": float " + analytic
          + " double " + numeric[i] + " relative error " + relativeError);
    }
  }

  private static long[] shape(long[] features) {
    long[] shape = new long[features.length + 1];
    shape[0] = BATCH;
    System.arraycopy(features, 0, shape, 1, features.length);
    return shape;
  }

  private static Batch toDouble(Batch batch) {
    return new Batch(batch.features().castTo(DataType.DOUBLE),
        batch.labels().castTo(DataType.DOUBLE), batch.teacherLogits().castTo(DataType.DOUBLE));
  }

  private static Split toDouble(Split split) {
    return new Split(split.features().castTo(DataType.DOUBLE),
        split.labels().castTo(DataType.DOUBLE));
  }

  private static Batch randomBatch(long[] features, int shift) {
    return new Batch(Nd4j.randn(DataType.FLOAT, shape(features)), oneHot(BATCH, shift),
        Nd4j.randn(DataType.FLOAT, BATCH, 10).muli(2));
  }

  private static MultiLayerNetwork cifarVeryTiny() {
    MultiLayerNetwork network = STUDENTS.create(
        StudentArchitectures.CIFAR_VERY_TINY, IMAGE, 10, 42, DataType.FLOAT);
    return network;
  }

  private static INDArray oneHot(int size, int shift) {
    INDArray labels = Nd4j.zeros(DataType.FLOAT, size, 10);
    for (int i = 0; i < size; i++) {
      labels.putScalar(i, (3 * i + shift) % 10, 1.0);
    }
    return labels;
  }

  /** |e − a| ≤ relative·|e| + 1e-5·max|e| element-wise. */
  private static void assertClose(String what, INDArray expected, INDArray actual,
      double relative) {
    double floor = 1e-5 * Math.max(1e-3, expected.amaxNumber().doubleValue());
    INDArray allowed = Transforms.abs(expected).muli(relative).addi(floor);
    INDArray excess = Transforms.abs(expected.sub(actual)).subi(allowed);
    long worst = excess.argMax().getLong(0);
    assertTrue(excess.maxNumber().doubleValue() <= 0, what + ": element " + worst + " expected "
        + expected.getDouble(worst) + " but was " + actual.getDouble(worst));
  }
}
