package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.trainer.complexity.Examples;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The one-step hypergradient of the validation loss with respect to the structure logits. */
class StructureHyperGradientTest {

  private final Supernet net = new Supernet(6, new int[] {4, 2}, new boolean[] {false, true}, 3,
      3);
  private final Examples train = TestExamples.clusters(8, 6, 3, 11);
  private final Examples validation = TestExamples.clusters(6, 6, 3, 12);
  private final int[] trainOrder = {0, 1, 2, 3, 4, 5, 6, 7};
  private final int[] valOrder = {0, 1, 2, 3, 4, 5};

  /** F(α) = L_val(w − β∇_w L_train(w, α), α), the function the hypergradient differentiates. */
  private double validationAfterStep(SupernetLoss loss, double[] w, double[] logAlpha,
      double[] noise, double c, double beta) {
    double[] g = new double[w.length];
    loss.evaluate(w, logAlpha, noise, c, train, trainOrder, 0, 8, g, null);
    double[] virtual = w.clone();
    for (int k = 0; k < w.length; k++) {
      virtual[k] -= beta * g[k];
    }
    return loss.evaluate(virtual, logAlpha, noise, c, validation, valOrder, 0, 6, null, null);
  }

  @Test
  void theHypergradientMatchesACentralDifferenceOfTheValidationLossAfterTheVirtualStep() {
    double[] w = new double[net.parameterCount()];
    net.initialise(w, new SplittableRandom(13));
    double[] logAlpha = {0.3, -0.2, -0.5, 0.4};
    double[] noise = SupernetLoss.noise(net, new SplittableRandom(14));
    double c = 0.6;
    // a large β, so that the second-order term is far from negligible
    double beta = 0.5;
    SupernetLoss loss = new SupernetLoss(net, 8);
    double[] gradW = new double[w.length];
    loss.evaluate(w, logAlpha, noise, c, train, trainOrder, 0, 8, gradW, null);
    double[] hyper = new double[logAlpha.length];
    new StructureHyperGradient(loss).compute(w, logAlpha, noise, c, gradW,
        new StructureHyperGradient.Batch(train, trainOrder, 0, 8),
        new StructureHyperGradient.Batch(validation, valOrder, 0, 6), beta, hyper);
    double[] direct = new double[logAlpha.length];
    double[] virtual = w.clone();
    for (int k = 0; k < w.length; k++) {
      virtual[k] -= beta * gradW[k];
    }
    loss.evaluate(virtual, logAlpha, noise, c, validation, valOrder, 0, 6, null, direct);
    double e = 1e-5;
    double secondOrder = 0;
    for (int j = 0; j < logAlpha.length; j++) {
      double keep = logAlpha[j];
      logAlpha[j] = keep + e;
      double plus = validationAfterStep(loss, w, logAlpha, noise, c, beta);
      logAlpha[j] = keep - e;
      double minus = validationAfterStep(loss, w, logAlpha, noise, c, beta);
      logAlpha[j] = keep;
      double expected = (plus - minus) / (2 * e);
      assertEquals(expected, hyper[j], 1e-4 * Math.max(1, Math.abs(expected)),
          "dF/dlog α_" + j);
      secondOrder = Math.max(secondOrder, Math.abs(hyper[j] - direct[j]));
    }
    // the check would not notice a missing second-order term if that term were tiny
    assertTrue(secondOrder > 1e-3, "second-order term " + secondOrder);
  }
}
