package io.distilflux.trainer.complexity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** SGD with momentum: v ← m·v + clip(g), w ← w − η·v. */
class SgdMomentumTest {

  @Test
  void theVelocityAccumulatesTheClippedGradients() {
    SgdMomentum sgd = new SgdMomentum(2, 0.1, 0.9, 1.0);
    double[] w = {1.0, -2.0};
    sgd.step(w, new double[] {0.5, 3.0});
    // v = (0.5, 1.0) (3.0 clipped to 1.0)
    assertEquals(1.0 - 0.05, w[0], 1e-15);
    assertEquals(-2.0 - 0.1, w[1], 1e-15);
    sgd.step(w, new double[] {-0.2, -4.0});
    // v = (0.9·0.5 − 0.2, 0.9·1.0 − 1.0) = (0.25, −0.1)
    assertEquals(0.95 - 0.025, w[0], 1e-15);
    assertEquals(-2.1 + 0.01, w[1], 1e-15);
  }

  @Test
  void withoutMomentumAStepIsPlainGradientDescent() {
    SgdMomentum sgd = new SgdMomentum(1, 0.5, 0.0, 10.0);
    double[] w = {0.0};
    sgd.step(w, new double[] {2.0});
    sgd.step(w, new double[] {2.0});
    assertEquals(-2.0, w[0], 1e-15);
  }

  @Test
  void theOptimizerSettingsBuildTheirStepRuleAndCheckTheRates() {
    assertInstanceOf(SgdMomentum.class,
        new Optimizer(Optimizer.Kind.SGD, 0.01, 0.9).create(3, 1.0));
    assertInstanceOf(Adam.class, Optimizer.adam(3e-3).create(3, 1.0));
    assertEquals(0.01, Optimizer.Kind.SGD.defaultLearningRate());
    assertEquals(3e-3, Optimizer.Kind.ADAM.defaultLearningRate());
    assertThrows(IllegalArgumentException.class,
        () -> new Optimizer(Optimizer.Kind.SGD, 0.01, 1.0));
    assertThrows(IllegalArgumentException.class,
        () -> new Optimizer(Optimizer.Kind.SGD, 0.0, 0.5));
  }
}
