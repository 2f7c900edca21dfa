package io.distilflux.trainer.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.model.DenseStack;
import io.distilflux.trainer.model.HostArrays;
import io.distilflux.trainer.model.Nd4jGemmKernel;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * The dense engine against DL4J's layers on the same network and batches: parameter gradients,
 * steps (SGD and Adam), hypergradients, evaluation; and its reproducibility.
 */
class DenseEngineTest {

  private static final Unconstrained B = new Unconstrained(0.3, -0.4, -0.7);
  private static final int FEATURES = 4;
  private static final int CLASSES = 3;

  @ParameterizedTest
  @CsvSource({"RELU, SGD, 4, 6, dense-engine", "RELU, ADAM, 4, 6, dense-engine",
      "IDENTITY, SGD, 4, 6, dense-engine", "IDENTITY, ADAM, 4, 6, dense-engine",
      "RELU, SGD, 40, 60, dense-gemm", "RELU, ADAM, 40, 60, dense-gemm",
      "IDENTITY, ADAM, 40, 60, dense-gemm"})
  void engineTakesTheStepsAndHyperGradientsOfTheDl4jLayers(Activation hidden, OptimizerKind kind,
      int features, int width, String path) {
    MultiLayerNetwork network = mlp(hidden, DataType.DOUBLE, 31, features, width);
    DistillationTrainer engine = new DistillationTrainer(network.clone(), kind, 0.05, false);
    DistillationTrainer dl4j = new DistillationTrainer(network.clone(), kind, 0.05, false,
        Dl4jStudentComputation::new);
    assertEquals(path, engine.computationPath());
    assertEquals("dl4j-layers", dl4j.computationPath());
    Nd4j.getRandom().setSeed(8);
    for (int step = 0; step < 4; step++) {
      Batch batch = HyperGradientCheckTest.randomBatch(new long[] {features}, CLASSES, 7);
      Split validation = HyperGradientCheckTest.randomSplit(new long[] {features}, CLASSES, 5);
      StepOutcome expected = step % 2 == 0 ? dl4j.step(batch, B)
          : dl4j.stepWithHyperGradient(batch, validation, B);
      StepOutcome actual = step % 2 == 0 ? engine.step(batch, B)
          : engine.stepWithHyperGradient(batch, validation, B);
      assertEquals(expected.trainLoss(), actual.trainLoss(), 1e-12, "loss of step " + step);
      assertEquals(expected.kdLoss(), actual.kdLoss(), 1e-12, "KD of step " + step);
      assertClose(dl4j.student().params(), engine.student().params(), 1e-12);
      assertClose(dl4j.optimizerState().secondMoment(), engine.optimizerState().secondMoment(),
          1e-12);
      if (step % 2 == 1) {
        HyperGradientResult e = expected.hyperGradient().orElseThrow();
        HyperGradientResult a = actual.hyperGradient().orElseThrow();
        assertEquals(e.validationLoss(), a.validationLoss(), 1e-12);
        for (int i = 0; i < 3; i++) {
          assertEquals(e.gradient().get(i), a.gradient().get(i),
              1e-9 * Math.max(1, Math.abs(e.gradient().get(i))), "b" + (i + 1));
        }
      }
    }
    Split test = HyperGradientCheckTest.randomSplit(new long[] {features}, CLASSES, 600);
    EvaluationResult e = dl4j.evaluate(test);
    EvaluationResult a = engine.evaluate(test);
    assertEquals(e.accuracy(), a.accuracy(), 0.0);
    assertEquals(e.loss(), a.loss(), 1e-12);
  }

  @ParameterizedTest
  @CsvSource({"forward", "reverse"})
  void engineUsesTheLossDivergenceKernel(String divergence) {
    MultiLayerNetwork network = mlp(Activation.RELU, DataType.DOUBLE, 41);
    DistillationLoss loss = new DistillationLoss(true, Divergence.named(divergence));
    DistillationTrainer engine =
        new DistillationTrainer(network.clone(), OptimizerKind.ADAM, 0.05, loss, 1);
    DistillationTrainer dl4j = new DistillationTrainer(network.clone(), OptimizerKind.ADAM, 0.05,
        loss, Dl4jStudentComputation::new);
    assertEquals("dense-engine", engine.computationPath());
    Nd4j.getRandom().setSeed(14);
    Batch batch = HyperGradientCheckTest.randomBatch(new long[] {FEATURES}, CLASSES, 7);
    Split validation = HyperGradientCheckTest.randomSplit(new long[] {FEATURES}, CLASSES, 5);
    StepOutcome expected = dl4j.stepWithHyperGradient(batch, validation, B);
    StepOutcome actual = engine.stepWithHyperGradient(batch, validation, B);
    assertEquals(expected.kdLoss(), actual.kdLoss(), 1e-12);
    HyperGradientResult e = expected.hyperGradient().orElseThrow();
    HyperGradientResult a = actual.hyperGradient().orElseThrow();
    for (int i = 0; i < 3; i++) {
      assertEquals(e.gradient().get(i), a.gradient().get(i),
          1e-9 * Math.max(1, Math.abs(e.gradient().get(i))), "b" + (i + 1));
    }
    assertEquals(e.validationGradientNormSquared(), a.validationGradientNormSquared(),
        1e-12 * e.validationGradientNormSquared());
    assertClose(dl4j.student().params(), engine.student().params(), 1e-12);
  }

  @ParameterizedTest
  @CsvSource({"RELU, false", "IDENTITY, false", "RELU, true", "IDENTITY, true"})
  void parameterGradientEqualsDl4jBackprop(Activation hidden, boolean gemm) {
    MultiLayerNetwork network = mlp(hidden, DataType.DOUBLE, 5);
    DenseStack stack = DenseStack.ofStudent(network).orElseThrow();
    Nd4j.getRandom().setSeed(9);
    int rows = 6;
    INDArray features = Nd4j.randn(DataType.DOUBLE, rows, FEATURES);
    INDArray outputGradient = Nd4j.randn(DataType.DOUBLE, rows, CLASSES);

    Dl4jStudentComputation dl4j = new Dl4jStudentComputation(network);
    INDArray logits = dl4j.trainingLogits(StudentComputation.Pass.TRAINING, features);
    INDArray expected = dl4j.backward(StudentComputation.Pass.TRAINING, outputGradient);

    DenseStack.Activations activations = gemm
        ? stack.activations(rows, new Nd4jGemmKernel()) : stack.activations(rows);
    double[] w = HostArrays.read(network.params());
    System.arraycopy(HostArrays.read(features), 0, activations.input(), 0, rows * FEATURES);
    stack.forward(w, activations, rows);
    double[] gradient = new double[stack.parameterCount()];
    stack.backward(w, activations, rows, HostArrays.read(outputGradient), gradient);

    assertArrayEquals(HostArrays.read(logits), java.util.Arrays.copyOf(activations.logits(),
        rows * CLASSES), 1e-12);
    assertArrayEquals(HostArrays.read(expected), gradient, 1e-12);
  }

  @ParameterizedTest
  @CsvSource({"4, 6", "40, 60"})
  void sameSeedGivesBitIdenticalRunsInFloat(int features, int width) {
    double[] first = trajectory(features, width);
    double[] second = trajectory(features, width);
    assertArrayEquals(first, second);
  }

  @Test
  void restoredParametersAndStateReplayTheSameStep() {
    Nd4j.getRandom().setSeed(12);
    DistillationTrainer trainer = new DistillationTrainer(
        mlp(Activation.RELU, DataType.FLOAT, 2), OptimizerKind.ADAM, 0.01, false);
    Batch first = HyperGradientCheckTest.randomBatch(new long[] {FEATURES}, CLASSES, 5);
    Batch second = HyperGradientCheckTest.randomBatch(new long[] {FEATURES}, CLASSES, 5);
    trainer.step(floatBatch(first), B);
    INDArray params = trainer.student().params().dup();
    OptimizerState state = trainer.optimizerState();
    trainer.step(floatBatch(second), B);
    INDArray afterSecond = trainer.student().params().dup();

    trainer.step(floatBatch(first), B);
    trainer.student().params().assign(params);
    trainer.restoreOptimizerState(state);
    trainer.step(floatBatch(second), B);

    assertEquals(afterSecond, trainer.student().params());
  }

  @ParameterizedTest
  @CsvSource({"4, 6", "40, 60"})
  void floatEngineTakesTheFloatDl4jStepToRounding(int features, int width) {
    MultiLayerNetwork network = mlp(Activation.RELU, DataType.FLOAT, 17, features, width);
    DistillationTrainer engine =
        new DistillationTrainer(network.clone(), OptimizerKind.ADAM, 0.01, false);
    DistillationTrainer dl4j = new DistillationTrainer(network.clone(), OptimizerKind.ADAM, 0.01,
        false, Dl4jStudentComputation::new);
    Nd4j.getRandom().setSeed(13);
    for (int step = 0; step < 5; step++) {
      Batch batch = floatBatch(
          HyperGradientCheckTest.randomBatch(new long[] {features}, CLASSES, 9));
      assertEquals(dl4j.step(batch, B).trainLoss(), engine.step(batch, B).trainLoss(), 1e-5);
    }
    assertClose(dl4j.student().params(), engine.student().params(), 1e-5);
  }

  private static double[] trajectory(int features, int width) {
    Nd4j.getRandom().setSeed(10);
    DistillationTrainer trainer = new DistillationTrainer(
        mlp(Activation.RELU, DataType.FLOAT, 3, features, width), OptimizerKind.ADAM, 0.01,
        false);
    Split validation = floatSplit(
        HyperGradientCheckTest.randomSplit(new long[] {features}, CLASSES, 5));
    double[] values = new double[12];
    for (int i = 0; i < 6; i++) {
      Batch batch = floatBatch(
          HyperGradientCheckTest.randomBatch(new long[] {features}, CLASSES, 8));
      StepOutcome outcome = i % 2 == 0 ? trainer.step(batch, B)
          : trainer.stepWithHyperGradient(batch, validation, B);
      values[2 * i] = outcome.trainLoss();
      values[2 * i + 1] = outcome.hyperGradient().map(h -> h.gradient().b3()).orElse(0.0);
    }
    double[] params = HostArrays.read(trainer.student().params());
    double[] all = java.util.Arrays.copyOf(values, values.length + params.length);
    System.arraycopy(params, 0, all, values.length, params.length);
    return all;
  }

  /** FEATURES → 6 (hidden activation) → CLASSES logits. */
  static MultiLayerNetwork mlp(Activation hidden, DataType type, long seed) {
    return mlp(hidden, type, seed, FEATURES, 6);
  }

  /**
   * features → width (hidden activation) → CLASSES logits; 40 → 60 has 2 580 weights, above
   * {@link DenseEngine#MAX_WEIGHTS}, so its products go through BLAS.
   */
  static MultiLayerNetwork mlp(Activation hidden, DataType type, long seed, int features,
      int width) {
    MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .seed(seed).dataType(type).updater(new NoOp()).weightInit(WeightInit.XAVIER).list()
        .layer(new DenseLayer.Builder().nIn(features).nOut(width).activation(hidden).build())
        .layer(new DenseLayer.Builder().nIn(width).nOut(CLASSES)
            .activation(Activation.IDENTITY).build())
        .build());
    network.init();
    return network;
  }

  private static Batch floatBatch(Batch batch) {
    return new Batch(batch.features().castTo(DataType.FLOAT),
        batch.labels().castTo(DataType.FLOAT), batch.teacherLogits().castTo(DataType.FLOAT));
  }

  private static Split floatSplit(Split split) {
    return new Split(split.features().castTo(DataType.FLOAT),
        split.labels().castTo(DataType.FLOAT));
  }

  private static void assertClose(INDArray expected, INDArray actual, double tolerance) {
    double[] e = HostArrays.read(expected);
    double[] a = HostArrays.read(actual);
    assertEquals(e.length, a.length);
    for (int i = 0; i < e.length; i++) {
      assertTrue(Math.abs(e[i] - a[i]) <= tolerance * Math.max(1, Math.abs(e[i])),
          "entry " + i + ": expected " + e[i] + " got " + a[i]);
    }
  }
}
