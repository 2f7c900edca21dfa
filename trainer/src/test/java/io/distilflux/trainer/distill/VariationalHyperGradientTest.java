package io.distilflux.trainer.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.RunConfig.UnrolledDerivative;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.trainer.complexity.Evaluator;
import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.VariationalMlp;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The variational student's one-step hypergradient in (b1, b2, b3, b4) against a brute-force
 * central difference of L_val after the real step, in double precision with the noise ε fixed.
 */
class VariationalHyperGradientTest {

  private static final double H = 1e-5;
  private static final double TOLERANCE = 1e-4;
  private static final Unconstrained B = new Unconstrained(0.3, -0.4, -0.7);
  private static final String LAMBDA_C = ExtraParameter.COMPLEXITY.jsonName();
  private static final double B4 = 0.2;
  private static final int TRAINING_SIZE = 40;
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
  @CsvSource({"SGD, forward, EXACT", "ADAM, forward, EXACT", "ADAM, reverse, EXACT",
      "SGD, reverse, EXACT"})
  void theHyperGradientOfAllFourCoordinatesMatchesCentralDifferencesAfterARealStep(
      OptimizerKind kind, String divergence, UnrolledDerivative unrolled) {
    double learningRate = kind == OptimizerKind.SGD ? 0.3 : 0.03;
    DistillationTrainer trainer = trainer(kind, learningRate, divergence, unrolled);
    assertEquals("variational-dense", trainer.computationPath());
    Nd4j.getRandom().setSeed(5);
    long[] features = {4};
    // a few real steps, so that Adam's moments and bias corrections are not trivial
    for (int i = 0; i < 3; i++) {
      trainer.step(trainer.prepare(HyperGradientCheckTest.randomBatch(features, 3, 12)),
          B.toValues(), Map.of(LAMBDA_C, ExtraParameter.COMPLEXITY.value(B4)));
    }
    Batch batch = HyperGradientCheckTest.randomBatch(features, 3, 12);
    Split validation = HyperGradientCheckTest.randomSplit(features, 3, 12);
    INDArray means = trainer.student().params().dup();

    double[] numeric = new double[4];
    for (int i = 0; i < 4; i++) {
      double[] plus = {B.b1(), B.b2(), B.b3(), B4};
      double[] minus = plus.clone();
      plus[i] += H;
      minus[i] -= H;
      numeric[i] = (lookahead(trainer, batch, validation, plus)
          - lookahead(trainer, batch, validation, minus)) / (2 * H);
    }
    double atB = lookahead(trainer, batch, validation, new double[] {B.b1(), B.b2(), B.b3(), B4});
    assertEquals(atB, lookahead(trainer, batch, validation,
        new double[] {B.b1(), B.b2(), B.b3(), B4}), 0.0, "the noise is fixed until a real step");
    assertEquals(means, trainer.student().params(), "the look-ahead leaves the means as they are");

    HyperGradientResult result = trainer.stepWithHyperGradient(trainer.prepare(batch),
        validation, B, Map.of(LAMBDA_C, B4)).hyperGradient().orElseThrow();
    assertTrue(result.finite());
    assertEquals(atB, result.validationLoss(), 1e-12);
    double[] analytic = {result.gradient().b1(), result.gradient().b2(), result.gradient().b3(),
        result.extra().get(LAMBDA_C)};
    for (int i = 0; i < 4; i++) {
      double scale = Math.max(Math.abs(analytic[i]), Math.abs(numeric[i]));
      assertTrue(scale > 1e-7, "component b" + (i + 1) + " too small to check: " + scale);
      double relativeError = Math.abs(analytic[i] - numeric[i]) / scale;
      assertTrue(relativeError < TOLERANCE, kind + " " + divergence + " b" + (i + 1)
          + ": analytic " + analytic[i] + " numeric " + numeric[i] + " relative error "
          + relativeError);
    }
    assertTrue(trainer.student().params().sub(means).norm2Number().doubleValue() > 0,
        "the real step moved the means");
  }

  @Test
  void theTrainingLossAddsLambdaCTimesKlOverN() {
    DistillationTrainer trainer = trainer(OptimizerKind.SGD, 0.1, "forward",
        UnrolledDerivative.EXACT);
    Nd4j.getRandom().setSeed(6);
    Batch batch = HyperGradientCheckTest.randomBatch(new long[] {4}, 3, 12);
    double kl = trainer.complexity();
    assertTrue(kl > 0, "KL of q from the prior: " + kl);
    MetaValues values = B.toValues();
    StepOutcome low = trainer.step(trainer.prepare(batch), values, Map.of(LAMBDA_C, 1.0));
    DistillationTrainer twin = trainer(OptimizerKind.SGD, 0.1, "forward",
        UnrolledDerivative.EXACT);
    StepOutcome high = twin.step(twin.prepare(batch), values, Map.of(LAMBDA_C, 11.0));
    assertEquals(low.ceLoss(), high.ceLoss(), 0.0, "same weights, same noise");
    assertEquals(10 * kl / TRAINING_SIZE, high.trainLoss() - low.trainLoss(), 1e-9);
  }

  @Test
  void theDiagnosticsAreTheKlAndTheStabilityOfTheMeansPrunedByTheirSignalToNoise() {
    DistillationTrainer trainer = trainer(OptimizerKind.ADAM, 0.05, "forward",
        UnrolledDerivative.EXACT);
    Nd4j.getRandom().setSeed(8);
    for (int i = 0; i < 5; i++) {
      trainer.step(trainer.prepare(HyperGradientCheckTest.randomBatch(new long[] {4}, 3, 12)),
          B.toValues(), Map.of(LAMBDA_C, 10.0));
    }
    assertEquals(Map.of(TrainingStep.KL, trainer.complexity()), trainer.diagnostics(null));
    Split test = HyperGradientCheckTest.randomSplit(new long[] {4}, 3, 300);
    Map<String, Double> diagnostics = trainer.diagnostics(test);
    // the same S through the complexity experiment's evaluator, from θ and the split's rows
    double[] theta = trainer.variationalParameters();
    int p = theta.length / 2;
    double[] mu = java.util.Arrays.copyOf(theta, p);
    double[] rho = java.util.Arrays.copyOfRange(theta, p, 2 * p);
    double[] x = test.features().dup().data().asDouble();
    float[] features = new float[x.length];
    for (int k = 0; k < x.length; k++) {
      features[k] = (float) x[k];
    }
    byte[] labels = new byte[test.size()];
    for (int r = 0; r < labels.length; r++) {
      labels[r] = (byte) test.labels().getRow(r).argMax().getInt(0);
    }
    Examples examples = new Examples(features, labels, 4, 3);
    Evaluator evaluator = new Evaluator(new VariationalMlp(4, 6, 3), 0.1);
    double expected = evaluator.accuracy(mu, examples)
        / evaluator.accuracy(evaluator.prune(mu, rho, 0.9), examples);
    assertEquals(expected, diagnostics.get(TrainingStep.STABILITY), 1e-12);
    assertEquals(trainer.complexity(), diagnostics.get(TrainingStep.KL));
  }

  @Test
  void aStepWithoutLambdaCIsRefusedWithOneLine() {
    DistillationTrainer trainer = trainer(OptimizerKind.SGD, 0.1, "forward",
        UnrolledDerivative.EXACT);
    Batch batch = HyperGradientCheckTest.randomBatch(new long[] {4}, 3, 12);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> trainer.step(trainer.prepare(batch), B.toValues()));
    assertTrue(e.getMessage().contains(LAMBDA_C), e.getMessage());
    IllegalArgumentException cnn = assertThrows(IllegalArgumentException.class,
        () -> DistillationTrainer.variational(DenseEngineTest.mlp(Activation.TANH,
            DataType.DOUBLE, 1, 4, 6), OptimizerKind.SGD, 0.1, new DistillationLoss(false),
            UnrolledDerivative.EXACT, 10, 1));
    assertTrue(cnn.getMessage().contains("ReLU"), cnn.getMessage());
  }

  private static double lookahead(DistillationTrainer trainer, Batch batch, Split validation,
      double[] b) {
    return trainer.lookaheadValidationLoss(batch, validation, new Unconstrained(b[0], b[1], b[2]),
        Map.of(LAMBDA_C, b[3]));
  }

  private static DistillationTrainer trainer(OptimizerKind kind, double learningRate,
      String divergence, UnrolledDerivative unrolled) {
    MultiLayerNetwork student = DenseEngineTest.mlp(Activation.RELU, DataType.DOUBLE, 11, 4, 6);
    return DistillationTrainer.variational(student, kind, learningRate,
        new DistillationLoss(false, Divergence.named(divergence)), unrolled, TRAINING_SIZE, 9);
  }
}
