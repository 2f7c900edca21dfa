package io.distilflux.trainer.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.MetaValues;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DistillationLossTest {

  private static final double[][] Z = {{1.0, 0.0, -0.5}, {0.3, 2.0, 0.1}};
  private static final double[][] Y = {{1, 0, 0}, {0, 0, 1}};
  private static final double[][] F = {{0.0, 1.0, 0.5}, {-1.0, 3.0, 0.0}};
  private static final MetaValues VALUES = new MetaValues(0.5, 0.25, 2.0);

  @Test
  void lossValuesMatchScalarHandComputation() {
    DistillationLoss.Terms terms = new DistillationLoss(false).evaluate(z(), y(), f(), VALUES);

    double ce = 0;
    double kd = 0;
    for (int i = 0; i < 2; i++) {
      double[] logP = logSoftmax(Z[i], 1);
      double[] logS = logSoftmax(Z[i], 2);
      double[] logQ = logSoftmax(F[i], 2);
      for (int k = 0; k < 3; k++) {
        ce -= Y[i][k] * logP[k] / 2;
        kd -= Math.exp(logQ[k]) * logS[k] / 2;
      }
    }
    assertEquals(ce, terms.crossEntropy(), 1e-6);
    assertEquals(kd, terms.distillation(), 1e-6);
    assertEquals(0.5 * ce + 0.25 * kd, terms.total(), 1e-6);
  }

  @Test
  void temperatureSquaredFlagScalesOnlyTheDistillationTerm() {
    DistillationLoss.Terms plain = new DistillationLoss(false).evaluate(z(), y(), f(), VALUES);
    DistillationLoss.Terms hinton = new DistillationLoss(true).evaluate(z(), y(), f(), VALUES);

    assertEquals(plain.distillation(), hinton.distillation(), 1e-12);
    assertEquals(0.5 * plain.crossEntropy() + 0.25 * 4 * plain.distillation(), hinton.total(),
        1e-6);
    assertEquals(0, hinton.lambda2Direction().sub(plain.lambda2Direction().mul(4))
        .norm2Number().doubleValue(), 1e-7);
  }

  @Test
  void reverseDivergenceIsTheKullbackLeiblerDivergenceOfTheStudentFromTheTeacher() {
    DistillationLoss.Terms terms =
        new DistillationLoss(false, Divergence.reverse()).evaluate(z(), y(), f(), VALUES);

    double ce = 0;
    double kl = 0;
    for (int i = 0; i < 2; i++) {
      double[] logP = logSoftmax(Z[i], 1);
      double[] logS = logSoftmax(Z[i], 2);
      double[] logQ = logSoftmax(F[i], 2);
      for (int k = 0; k < 3; k++) {
        ce -= Y[i][k] * logP[k] / 2;
        kl += Math.exp(logS[k]) * (logS[k] - logQ[k]) / 2;
      }
    }
    assertEquals(kl, terms.distillation(), 1e-6);
    assertEquals(0.5 * ce + 0.25 * kl, terms.total(), 1e-6);
  }

  @Test
  void reverseDivergenceVanishesWithItsGradientWhenStudentEqualsTeacher() {
    DistillationLoss.Terms terms = new DistillationLoss(false, Divergence.reverse())
        .evaluate(fDouble(), yDouble(), fDouble(), VALUES);

    assertEquals(0, terms.distillation(), 1e-15);
    assertEquals(0, terms.lambda2Direction().amaxNumber().doubleValue(), 1e-15);
  }

  @Test
  void divergenceNamesAreReadBackAndUnknownOnesRejected() {
    assertSame(Divergence.reverse(), Divergence.named(Divergence.reverse().name()));
    assertSame(Divergence.forward(), Divergence.named("Forward"));
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> Divergence.named("symmetric"));
    assertTrue(error.getMessage().contains("forward or reverse"), error.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"forward", "reverse"})
  void outputGradientIsTheDerivativeOfTheBatchMeanLoss(String divergence) {
    for (boolean squared : new boolean[] {false, true}) {
      DistillationLoss loss = new DistillationLoss(squared, Divergence.named(divergence));
      INDArray gradient = loss.evaluate(zDouble(), yDouble(), fDouble(), VALUES).outputGradient();
      INDArray numeric = numericGradient(
          logits -> loss.evaluate(logits, yDouble(), fDouble(), VALUES).total(), zDouble());
      assertArrayClose(numeric, gradient, 1e-8, divergence + " output gradient, T² " + squared);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"forward", "reverse"})
  void metaDirectionsAreDerivativesOfTheOutputGradient(String divergence) {
    for (boolean squared : new boolean[] {false, true}) {
      DistillationLoss loss = new DistillationLoss(squared, Divergence.named(divergence));
      DistillationLoss.Terms terms = loss.evaluate(zDouble(), yDouble(), fDouble(), VALUES);
      double h = 1e-6;
      INDArray[] expected = {terms.lambda1Direction(), terms.lambda2Direction(),
          terms.temperatureDirection()};
      for (int i = 0; i < 3; i++) {
        double[] plus = {VALUES.lambda1(), VALUES.lambda2(), VALUES.temperature()};
        double[] minus = plus.clone();
        plus[i] += h;
        minus[i] -= h;
        INDArray numeric = loss.evaluate(zDouble(), yDouble(), fDouble(), values(plus))
            .outputGradient()
            .sub(loss.evaluate(zDouble(), yDouble(), fDouble(), values(minus)).outputGradient())
            .divi(2 * h);
        assertArrayClose(numeric, expected[i], 1e-8,
            divergence + " direction " + i + ", T² " + squared);
      }
    }
  }

  @Test
  void mismatchedTeacherShapeNamesTheArgument() {
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
        () -> new DistillationLoss(false).evaluate(z(), y(), Nd4j.zeros(DataType.FLOAT, 2, 4),
            VALUES));
    assertTrue(error.getMessage().startsWith("teacherLogits"), error.getMessage());
  }

  private static MetaValues values(double[] v) {
    return new MetaValues(v[0], v[1], v[2]);
  }

  private static INDArray numericGradient(ToDoubleFunction<INDArray> f, INDArray at) {
    INDArray gradient = Nd4j.zeros(DataType.DOUBLE, at.shape());
    double h = 1e-6;
    for (int i = 0; i < at.rows(); i++) {
      for (int k = 0; k < at.columns(); k++) {
        INDArray plus = at.dup();
        INDArray minus = at.dup();
        plus.putScalar(i, k, at.getDouble(i, k) + h);
        minus.putScalar(i, k, at.getDouble(i, k) - h);
        gradient.putScalar(i, k, (f.applyAsDouble(plus) - f.applyAsDouble(minus)) / (2 * h));
      }
    }
    return gradient;
  }

  private static void assertArrayClose(INDArray expected, INDArray actual, double tolerance,
      String what) {
    double error = expected.sub(actual).amaxNumber().doubleValue();
    assertTrue(error < tolerance, what + ": max error " + error + "\nexpected " + expected
        + "\nactual " + actual);
  }

  private static double[] logSoftmax(double[] logits, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : logits) {
      max = Math.max(max, v / temperature);
    }
    double sum = 0;
    for (double v : logits) {
      sum += Math.exp(v / temperature - max);
    }
    double[] out = new double[logits.length];
    for (int k = 0; k < logits.length; k++) {
      out[k] = logits[k] / temperature - max - Math.log(sum);
    }
    return out;
  }

  private static INDArray z() {
    return Nd4j.createFromArray(Z).castTo(DataType.FLOAT);
  }

  private static INDArray y() {
    return Nd4j.createFromArray(Y).castTo(DataType.FLOAT);
  }

  private static INDArray f() {
    return Nd4j.createFromArray(F).castTo(DataType.FLOAT);
  }

  private static INDArray zDouble() {
    return Nd4j.createFromArray(Z);
  }

  private static INDArray yDouble() {
    return Nd4j.createFromArray(Y);
  }

  private static INDArray fDouble() {
    return Nd4j.createFromArray(F);
  }
}
