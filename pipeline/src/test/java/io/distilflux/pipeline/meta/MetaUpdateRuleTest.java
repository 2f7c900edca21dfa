package io.distilflux.pipeline.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import org.junit.jupiter.api.Test;

class MetaUpdateRuleTest {

  private static final double TOL = 1e-12;

  @Test
  void sgdStepsAgainstTheGradientScaledByEta() {
    MetaUpdateRule rule = new MetaUpdateRule(OptimizerKind.SGD, 0.1, 1.0);
    Unconstrained next =
        rule.step(new Unconstrained(0.5, -0.25, 1.0), new Unconstrained(0.2, -0.4, 0.0));
    assertEquals(0.5 - 0.1 * 0.2, next.b1(), TOL);
    assertEquals(-0.25 + 0.1 * 0.4, next.b2(), TOL);
    assertEquals(1.0, next.b3(), TOL);
  }

  @Test
  void normalizedRuleStepsAgainstTheGradientDividedByTheValidationGradientNormSquared() {
    MetaUpdateRule rule = new MetaUpdateRule(OptimizerKind.NORMALIZED, 10, 1e4);
    Unconstrained next = rule.step(new Unconstrained(0.5, -0.25, 1.0),
        new Unconstrained(0.2, -0.4, 4e5), 0.04);
    assertEquals(0.5 - 10 * 0.2 / 0.04, next.b1(), TOL);
    assertEquals(-0.25 + 10 * 0.4 / 0.04, next.b2(), TOL);
    // 4e5 / 0.04 = 1e7 is clipped to 1e4 after the division
    assertEquals(1.0 - 10 * 1e4, next.b3(), TOL);
  }

  @Test
  void normalizedRuleRefusesAMissingValidationGradientNorm() {
    MetaUpdateRule rule = new MetaUpdateRule(OptimizerKind.NORMALIZED, 10, 1e4);
    for (double norm : new double[] {Double.NaN, 0, Double.POSITIVE_INFINITY}) {
      assertEquals(false, rule.accepts(norm));
      assertThrows(IllegalArgumentException.class,
          () -> rule.step(new Unconstrained(0, 0, 0), new Unconstrained(1, 1, 1), norm));
    }
    assertEquals(true, new MetaUpdateRule(OptimizerKind.SGD, 1, 1).accepts(Double.NaN));
  }

  @Test
  void sgdClipsEachComponentBeforeStepping() {
    MetaUpdateRule rule = new MetaUpdateRule(OptimizerKind.SGD, 0.5, 0.3);
    Unconstrained next = rule.step(new Unconstrained(0, 0, 0), new Unconstrained(5, -7, 0.1));
    assertEquals(-0.5 * 0.3, next.b1(), TOL);
    assertEquals(0.5 * 0.3, next.b2(), TOL);
    assertEquals(-0.5 * 0.1, next.b3(), TOL);
  }

  @Test
  void clipBoundsComponentsSymmetrically() {
    Unconstrained clipped = MetaUpdateRule.clip(new Unconstrained(2, -2, 0.5), 1.0);
    assertEquals(new Unconstrained(1, -1, 0.5), clipped);
  }

  @Test
  void sgdIsStatelessSoTheSameInputGivesTheSameOutput() {
    MetaUpdateRule rule = new MetaUpdateRule(OptimizerKind.SGD, 0.1, 1.0);
    Unconstrained at = new Unconstrained(0.1, 0.2, 0.3);
    Unconstrained g = new Unconstrained(0.3, 0.2, 0.1);
    assertEquals(rule.step(at, g), rule.step(at, g));
  }

  @Test
  void adamFirstStepMovesEachCoordinateByEtaInTheGradientSign() {
    // With bias correction, m̂ = g and v̂ = g² after one step, so the step is η·g/(|g| + ε).
    MetaUpdateRule rule = new MetaUpdateRule(OptimizerKind.ADAM, 0.01, 1.0);
    Unconstrained next = rule.step(new Unconstrained(1, 1, 1), new Unconstrained(0.5, -0.2, 0));
    assertEquals(1 - 0.01 * 0.5 / (0.5 + 1e-8), next.b1(), TOL);
    assertEquals(1 + 0.01 * 0.2 / (0.2 + 1e-8), next.b2(), TOL);
    assertEquals(1.0, next.b3(), TOL);
    assertEquals(1, rule.adamSteps());
  }

  @Test
  void adamSecondStepUsesTheMomentsByHand() {
    MetaUpdateRule rule = new MetaUpdateRule(OptimizerKind.ADAM, 0.1, 10.0);
    Unconstrained at = new Unconstrained(0, 0, 0);
    rule.step(at, new Unconstrained(1, 0, 0));
    Unconstrained second = rule.step(at, new Unconstrained(3, 0, 0));
    double m = 0.9 * (0.1 * 1) + 0.1 * 3;
    double v = 0.999 * (0.001 * 1) + 0.001 * 9;
    double mHat = m / (1 - 0.9 * 0.9);
    double vHat = v / (1 - 0.999 * 0.999);
    assertEquals(-0.1 * mHat / (Math.sqrt(vHat) + 1e-8), second.b1(), TOL);
    assertEquals(2, rule.adamSteps());
  }

  @Test
  void adamClipsTheGradientBeforeTheMoments() {
    MetaUpdateRule clipped = new MetaUpdateRule(OptimizerKind.ADAM, 0.1, 1.0);
    MetaUpdateRule unclipped = new MetaUpdateRule(OptimizerKind.ADAM, 0.1, 100.0);
    Unconstrained at = new Unconstrained(0, 0, 0);
    clipped.step(at, new Unconstrained(1, 0, 0));
    unclipped.step(at, new Unconstrained(1, 0, 0));
    Unconstrained a = clipped.step(at, new Unconstrained(50, 0, 0));
    Unconstrained b = unclipped.step(at, new Unconstrained(1, 0, 0));
    assertEquals(b.b1(), a.b1(), TOL);
  }

  @Test
  void nonFiniteInputIsRejectedWithoutTouchingTheState() {
    MetaUpdateRule rule = new MetaUpdateRule(OptimizerKind.ADAM, 0.1, 1.0);
    assertThrows(
        IllegalArgumentException.class,
        () -> rule.step(new Unconstrained(0, 0, 0), new Unconstrained(Double.NaN, 0, 0)));
    assertThrows(
        IllegalArgumentException.class,
        () -> rule.step(new Unconstrained(Double.POSITIVE_INFINITY, 0, 0), new Unconstrained(0, 0, 0)));
    assertEquals(0, rule.adamSteps());
  }

  @Test
  void extraCoordinatesMoveByTheRuleThatMovesB() {
    Unconstrained at = new Unconstrained(0.5, -0.5, 0.25);
    Unconstrained g = new Unconstrained(0.2, 3.0, -0.4);
    for (OptimizerKind kind : OptimizerKind.values()) {
      MetaUpdateRule alone = new MetaUpdateRule(kind, 0.1, 1.0);
      MetaUpdateRule withExtra = new MetaUpdateRule(kind, 0.1, 1.0);
      for (int step = 0; step < 3; step++) {
        // an extra coordinate equal to b1 (same point, same gradient) must follow b1 exactly
        double[] b = alone.step(at, g, 4.0).toArray();
        double[] extended = withExtra.step(new double[] {at.b1(), at.b2(), at.b3(), at.b2()},
            new double[] {g.b1(), g.b2(), g.b3(), g.b2()}, 4.0);
        assertEquals(4, extended.length);
        for (int i = 0; i < 3; i++) {
          assertEquals(b[i], extended[i], 0.0, kind + " coordinate " + i);
        }
        assertEquals(b[1], extended[3], 0.0, kind + " extra");
      }
    }
    MetaUpdateRule adam = new MetaUpdateRule(OptimizerKind.ADAM, 0.1, 1.0);
    adam.step(new double[4], new double[] {1, 1, 1, 1}, 1.0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> adam.step(new double[3], new double[] {1, 1, 1}, 1.0));
    assertTrue(e.getMessage().contains("4 coordinates"), e.getMessage());
  }

  @Test
  void invalidSettingsNameTheField() {
    IllegalArgumentException eta =
        assertThrows(
            IllegalArgumentException.class, () -> new MetaUpdateRule(OptimizerKind.SGD, 0, 1));
    assertEquals(true, eta.getMessage().startsWith("learningRate"));
    IllegalArgumentException clip =
        assertThrows(
            IllegalArgumentException.class,
            () -> new MetaUpdateRule(OptimizerKind.SGD, 0.1, Double.NaN));
    assertEquals(true, clip.getMessage().startsWith("clip"));
  }
}
