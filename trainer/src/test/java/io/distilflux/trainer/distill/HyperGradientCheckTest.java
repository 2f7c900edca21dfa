package io.distilflux.trainer.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.RunConfig.UnrolledDerivative;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.model.StudentArchitectures;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * The one-step hypergradient against a brute-force central difference of L_val(U(w, b ± h e_i))
 * in double precision, for SGD and Adam, on logistic regression, on small and wider MLPs through
 * the dense engine (Java-loop and BLAS products) and on a small CNN with batch-norm.
 */
class HyperGradientCheckTest {

  private static final double H = 1e-5;
  private static final double TOLERANCE = 1e-4;
  private static DataType previousDefault;
  private static DataType previousFloating;

  @BeforeAll
  static void doublePrecision() {
    previousDefault = Nd4j.dataType();
    previousFloating = Nd4j.defaultFloatingPointType();
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  @AfterAll
  static void restorePrecision() {
    Nd4j.setDefaultDataTypes(previousDefault, previousFloating);
  }

  @ParameterizedTest
  @CsvSource({"SGD, forward", "ADAM, forward", "SGD, reverse", "ADAM, reverse"})
  void logisticRegressionHyperGradientMatchesFiniteDifference(
      OptimizerKind kind, String divergence) {
    MultiLayerNetwork student = StudentArchitectures.withDefaults()
        .create(StudentArchitectures.LOGREG, new long[] {3}, 2, 11, DataType.DOUBLE);
    double learningRate = kind == OptimizerKind.SGD ? 0.5 : 0.05;
    checkAgainstFiniteDifference(student, kind, learningRate, Divergence.named(divergence),
        new long[] {3}, 2, 16, 1);
  }

  @ParameterizedTest
  @CsvSource({"SGD, forward", "ADAM, forward", "SGD, reverse", "ADAM, reverse"})
  void batchNormCnnHyperGradientMatchesFiniteDifference(OptimizerKind kind, String divergence) {
    double learningRate = kind == OptimizerKind.SGD ? 0.1 : 0.01;
    checkAgainstFiniteDifference(tinyCnn(), kind, learningRate, Divergence.named(divergence),
        new long[] {2, 8, 8}, 3, 6, 2);
  }

  @ParameterizedTest
  @CsvSource({"SGD, forward, 4, 6, dense-engine", "ADAM, forward, 4, 6, dense-engine",
      "SGD, reverse, 4, 6, dense-engine", "ADAM, reverse, 4, 6, dense-engine",
      "SGD, forward, 40, 60, dense-gemm", "ADAM, reverse, 40, 60, dense-gemm"})
  void denseEngineHyperGradientMatchesAFiniteDifferenceThroughDl4jLayers(OptimizerKind kind,
      String divergence, int width, int hidden, String path) {
    double learningRate = kind == OptimizerKind.SGD ? 0.3 : 0.03;
    DistillationLoss loss = new DistillationLoss(false, Divergence.named(divergence));
    DistillationTrainer engine = new DistillationTrainer(
        DenseEngineTest.mlp(Activation.RELU, DataType.DOUBLE, 11, width, hidden), kind,
        learningRate, loss, 1);
    assertEquals(path, engine.computationPath());
    Nd4j.getRandom().setSeed(3);
    long[] features = {width};
    for (int i = 0; i < 3; i++) {
      engine.step(randomBatch(features, 3, 12), B);
    }
    Batch batch = randomBatch(features, 3, 12);
    Split validation = randomSplit(features, 3, 12);
    // the brute force goes through DL4J's layers and InnerOptimizer, not through the engine
    DistillationTrainer reference = new DistillationTrainer(engine.student().clone(), kind,
        learningRate, loss, Dl4jStudentComputation::new);
    reference.restoreOptimizerState(engine.optimizerState());
    double[] numeric = numericHyperGradient(reference, batch, validation);
    HyperGradientResult result =
        engine.stepWithHyperGradient(batch, validation, B).hyperGradient().orElseThrow();
    assertWithinTolerance(kind, result, numeric);
  }

  private static final Unconstrained B = new Unconstrained(0.3, -0.4, -0.7);

  /**
   * A student with every third parameter frozen: its hypergradient is the derivative of the
   * look-ahead loss through the masked virtual step (P ⊙ α), on the dense engine against a
   * central difference through DL4J's layers and InnerOptimizer with the same mask, and it
   * differs from the unfrozen student's.
   */
  @ParameterizedTest
  @CsvSource({"SGD", "ADAM"})
  void aFrozenStudentsHyperGradientMatchesTheFiniteDifferenceOfItsMaskedLookahead(
      OptimizerKind kind) {
    double learningRate = kind == OptimizerKind.SGD ? 0.3 : 0.03;
    DistillationLoss loss = new DistillationLoss(false, Divergence.named("forward"));
    DistillationTrainer engine = new DistillationTrainer(
        DenseEngineTest.mlp(Activation.RELU, DataType.DOUBLE, 11, 4, 6), kind, learningRate,
        loss, 1);
    Nd4j.getRandom().setSeed(5);
    long[] features = {4};
    for (int i = 0; i < 3; i++) {
      engine.step(randomBatch(features, 3, 12), B);
    }
    double[] alpha = new double[(int) engine.student().params().length()];
    for (int k = 0; k < alpha.length; k++) {
      alpha[k] = k % 3 == 0 ? 0 : 1;
    }
    Batch batch = randomBatch(features, 3, 12);
    Split validation = randomSplit(features, 3, 12);
    DistillationTrainer unfrozen = new DistillationTrainer(engine.student().clone(), kind,
        learningRate, loss, Dl4jStudentComputation::new);
    unfrozen.restoreOptimizerState(engine.optimizerState());
    DistillationTrainer reference = new DistillationTrainer(engine.student().clone(), kind,
        learningRate, loss, Dl4jStudentComputation::new);
    reference.restoreOptimizerState(engine.optimizerState());
    reference.freeze(alpha);
    engine.freeze(alpha);
    assertEquals("dense-engine", engine.computationPath());
    double[] numeric = numericHyperGradient(reference, batch, validation);
    double[] whole = numericHyperGradient(unfrozen, batch, validation);
    HyperGradientResult result =
        engine.stepWithHyperGradient(batch, validation, B).hyperGradient().orElseThrow();
    assertWithinTolerance(kind, result, numeric);
    assertTrue(Math.abs(whole[0] - numeric[0]) > 1e-3 * Math.abs(numeric[0]),
        "freezing should change the hypergradient: " + whole[0] + " vs " + numeric[0]);
  }

  /**
   * With the SGD unrolled derivative an Adam student's hypergradient is −γ ⟨v, ∂g/∂b⟩, v the
   * validation gradient at Adam's virtual point w': the derivative of L_val(w' − γ (g(b) −
   * g(b₀))) at b₀, checked here by a central difference of that function through DL4J's layers.
   */
  @ParameterizedTest
  @CsvSource({"forward, dense-engine", "reverse, dense-engine", "forward, dl4j-layers",
      "reverse, dl4j-layers"})
  void sgdUnrolledDerivativeFollowsAPlainGradientStepFromAdamsVirtualPoint(String divergence,
      String path) {
    double learningRate = 0.03;
    DistillationLoss loss = new DistillationLoss(false, Divergence.named(divergence));
    MultiLayerNetwork student = DenseEngineTest.mlp(Activation.RELU, DataType.DOUBLE, 13, 4, 6);
    DistillationTrainer trainer = path.equals("dense-engine")
        ? new DistillationTrainer(student, OptimizerKind.ADAM, learningRate, loss,
            UnrolledDerivative.SGD, 1)
        : new DistillationTrainer(student, OptimizerKind.ADAM, learningRate, loss,
            UnrolledDerivative.SGD, Dl4jStudentComputation::new);
    assertEquals(path, trainer.computationPath());
    Nd4j.getRandom().setSeed(4);
    long[] features = {4};
    for (int i = 0; i < 3; i++) {
      trainer.step(randomBatch(features, 3, 12), B);
    }
    Batch batch = randomBatch(features, 3, 12);
    Split validation = randomSplit(features, 3, 12);
    DistillationTrainer reference = new DistillationTrainer(trainer.student().clone(),
        OptimizerKind.ADAM, learningRate, loss, Dl4jStudentComputation::new);
    reference.restoreOptimizerState(trainer.optimizerState());
    INDArray virtual = reference.virtualPoint(batch, B);
    INDArray g0 = reference.trainingGradient(batch, B);
    double[] numeric = new double[3];
    for (int i = 0; i < 3; i++) {
      double[] plus = B.toArray();
      double[] minus = B.toArray();
      plus[i] += H;
      minus[i] -= H;
      INDArray atPlus = virtual.sub(
          reference.trainingGradient(batch, Unconstrained.of(plus)).sub(g0).muli(learningRate));
      INDArray atMinus = virtual.sub(
          reference.trainingGradient(batch, Unconstrained.of(minus)).sub(g0).muli(learningRate));
      numeric[i] = (reference.validationLossAt(atPlus, validation)
          - reference.validationLossAt(atMinus, validation)) / (2 * H);
    }
    HyperGradientResult result =
        trainer.stepWithHyperGradient(batch, validation, B).hyperGradient().orElseThrow();
    assertWithinTolerance(OptimizerKind.ADAM, result, numeric);
    // and it is not Adam's exact hypergradient
    double[] exact = numericHyperGradient(reference, batch, validation);
    assertTrue(Math.abs(exact[0] - numeric[0]) > 1e-3 * Math.abs(exact[0]),
        "the two derivatives should differ for Adam: " + exact[0] + " vs " + numeric[0]);
  }

  private static double[] numericHyperGradient(DistillationTrainer trainer, Batch batch,
      Split validation) {
    double[] numeric = new double[3];
    for (int i = 0; i < 3; i++) {
      double[] plus = B.toArray();
      double[] minus = B.toArray();
      plus[i] += H;
      minus[i] -= H;
      numeric[i] = (trainer.lookaheadValidationLoss(batch, validation, Unconstrained.of(plus))
          - trainer.lookaheadValidationLoss(batch, validation, Unconstrained.of(minus)))
          / (2 * H);
    }
    return numeric;
  }

  private static void assertWithinTolerance(OptimizerKind kind, HyperGradientResult result,
      double[] numeric) {
    assertTrue(result.finite());
    for (int i = 0; i < 3; i++) {
      double analytic = result.gradient().get(i);
      double scale = Math.max(Math.abs(analytic), Math.abs(numeric[i]));
      assertTrue(scale > 1e-6, "component b" + (i + 1) + " too small to check: " + scale);
      double relativeError = Math.abs(analytic - numeric[i]) / scale;
      assertTrue(relativeError < TOLERANCE,
          kind + " b" + (i + 1) + ": analytic " + analytic + " numeric " + numeric[i]
              + " relative error " + relativeError);
    }
  }

  private static void checkAgainstFiniteDifference(
      MultiLayerNetwork student, OptimizerKind kind, double learningRate, Divergence divergence,
      long[] featureShape, int classes, int batchSize, long dataSeed) {
    Nd4j.getRandom().setSeed(dataSeed);
    DistillationTrainer trainer = new DistillationTrainer(
        student, kind, learningRate, new DistillationLoss(false, divergence), 1);
    Batch batch = randomBatch(featureShape, classes, batchSize);
    Split validation = randomSplit(featureShape, classes, batchSize);
    Unconstrained b = new Unconstrained(0.3, -0.4, -0.7);
    // a few real steps so that Adam's moments and bias corrections are non-trivial
    for (int i = 0; i < 3; i++) {
      trainer.step(randomBatch(featureShape, classes, batchSize), b);
    }
    INDArray params = student.params().dup();
    OptimizerState state = trainer.optimizerState();

    double[] numeric = new double[3];
    for (int i = 0; i < 3; i++) {
      double[] plus = b.toArray();
      double[] minus = b.toArray();
      plus[i] += H;
      minus[i] -= H;
      double lossPlus = trainer.lookaheadValidationLoss(batch, validation, Unconstrained.of(plus));
      double lossMinus =
          trainer.lookaheadValidationLoss(batch, validation, Unconstrained.of(minus));
      numeric[i] = (lossPlus - lossMinus) / (2 * H);
    }
    assertEquals(0, student.params().sub(params).norm2Number().doubleValue(), 0,
        "the look-ahead must leave w unchanged");
    double lookahead = trainer.lookaheadValidationLoss(batch, validation, b);

    HyperGradientResult result =
        trainer.stepWithHyperGradient(batch, validation, b).hyperGradient().orElseThrow();
    assertTrue(result.finite());
    assertEquals(lookahead, result.validationLoss(), 1e-12);
    for (int i = 0; i < 3; i++) {
      double analytic = result.gradient().get(i);
      double scale = Math.max(Math.abs(analytic), Math.abs(numeric[i]));
      assertTrue(scale > 1e-6, "component b" + (i + 1) + " too small to check: " + scale);
      double relativeError = Math.abs(analytic - numeric[i]) / scale;
      assertTrue(relativeError < TOLERANCE,
          kind + " " + divergence + " b" + (i + 1) + ": analytic " + analytic + " numeric " + numeric[i]
              + " relative error " + relativeError);
    }
    assertEquals(state.steps() + 1, trainer.optimizerState().steps());
  }

  /** conv 3×3 (2→3) + BN + ReLU + max-pool 2, dense → 3 logits, double precision. */
  private static MultiLayerNetwork tinyCnn() {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(5)
        .dataType(DataType.DOUBLE)
        .updater(new NoOp())
        .weightInit(WeightInit.XAVIER)
        .list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(3).hasBias(false)
            .activation(Activation.IDENTITY).build())
        .layer(new BatchNormalization.Builder().build())
        .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
            .kernelSize(2, 2).stride(2, 2).build())
        .layer(new DenseLayer.Builder().nOut(3).activation(Activation.IDENTITY).build())
        .setInputType(InputType.convolutional(8, 8, 2))
        .build();
    MultiLayerNetwork network = new MultiLayerNetwork(conf);
    network.init();
    return network;
  }

  static Batch randomBatch(long[] featureShape, int classes, int size) {
    Split split = randomSplit(featureShape, classes, size);
    INDArray teacher = Nd4j.randn(DataType.DOUBLE, size, classes).muli(2);
    return new Batch(split.features(), split.labels(), teacher);
  }

  static Split randomSplit(long[] featureShape, int classes, int size) {
    long[] shape = new long[featureShape.length + 1];
    shape[0] = size;
    System.arraycopy(featureShape, 0, shape, 1, featureShape.length);
    INDArray features = Nd4j.randn(DataType.DOUBLE, shape);
    INDArray labels = Nd4j.zeros(DataType.DOUBLE, size, classes);
    for (int i = 0; i < size; i++) {
      labels.putScalar(i, Nd4j.getRandom().nextInt(classes), 1.0);
    }
    return new Split(features, labels);
  }
}
