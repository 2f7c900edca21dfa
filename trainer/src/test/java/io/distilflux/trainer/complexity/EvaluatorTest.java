package io.distilflux.trainer.complexity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Pruning by relative density, stability and the evidence. */
class EvaluatorTest {

  private final VariationalMlp network = new VariationalMlp(2, 2, 2);
  private final Evaluator evaluator = new Evaluator(network, 0.1);

  @Test
  void pruningZeroesTheLowestRelativeDensityWeightsOfEachLayerButNoBias() {
    // layer 0: W = 4 weights, b = 2; layer 1: W = 4 weights, b = 2
    double[] mu = {1, 2, 3, 4, 0.01, 0.02, 4, 3, 2, 1, 0.01, 0.02};
    double[] rho = new double[mu.length];
    rho[3] = Math.log(100); // σ = 100: μ²/σ² = 16e-4, the smallest of layer 0
    double[] pruned = evaluator.prune(mu, rho, 0.5);
    assertArrayEquals(new double[] {0, 2, 3, 0, 0.01, 0.02, 4, 3, 0, 0, 0.01, 0.02}, pruned);
    assertArrayEquals(mu, evaluator.prune(mu, rho, 0), 0);
  }

  @Test
  void stabilityIsAccuracyUnprunedOverAccuracyAtNinetyPercent() {
    double[] curve = {0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.7, 0.6, 0.45};
    assertEquals(2.0, Evaluator.stability(curve), 1e-12);
  }

  @Test
  void evidenceIsLogLikelihoodAtTheMeansMinusLambdaKl() {
    Examples data = new Examples(new float[] {1, 0, 0, 1}, new byte[] {0, 1}, 2, 2);
    double[] mu = {2, -2, -2, 2, 0, 0, 1, 0, 0, 1, 0, 0};
    double[] rho = new double[mu.length];
    // hidden = relu(xW) = (2, 0) and (0, 2); logits = hidden: each example −log σ(4)... per row
    double perRow = Math.log(1 + Math.exp(-2));
    assertEquals(-2 * perRow, evaluator.logLikelihood(mu, data), 1e-12);
    double kl = VariationalMlp.kl(mu, rho, 0.1);
    assertEquals(-2 * perRow - 3 * kl, evaluator.evidence(mu, rho, 3, data), 1e-9);
    assertEquals(1.0, evaluator.accuracy(mu, data), 0);
  }
}
