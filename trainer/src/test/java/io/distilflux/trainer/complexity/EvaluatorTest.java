package io.distilflux.trainer.complexity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** Pruning by relative density, stability, the likelihoods and the evidence. */
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
  void logLikelihoodAtTheMeansSumsTheRowsLogSoftmax() {
    Examples data = new Examples(new float[] {1, 0, 0, 1}, new byte[] {0, 1}, 2, 2);
    double[] mu = {2, -2, -2, 2, 0, 0, 1, 0, 0, 1, 0, 0};
    // hidden = relu(xW) = (2, 0) and (0, 2); logits = hidden: each row −log σ(2)
    double perRow = Math.log(1 + Math.exp(-2));
    assertEquals(-2 * perRow, evaluator.logLikelihood(mu, data), 1e-12);
    assertEquals(1.0, evaluator.accuracy(mu, data), 0);
  }

  @Test
  void theEvidenceTakesTheLogLikelihoodInExpectationOverQNotAtTheMeans() {
    // one layer, input x = 1: the logits z_c = w_c + b_c are independent N(μ_wc + μ_bc, 2σ²), so
    // log p(y = 0) = −softplus(d) with d = z_1 − z_0 ~ N(m, 4σ²)
    VariationalMlp oneLayer = new VariationalMlp(1, 2);
    Evaluator eval = new Evaluator(oneLayer, 0.1);
    int n = 4000;
    float[] x = new float[n];
    Arrays.fill(x, 1f);
    Examples data = new Examples(x, new byte[n], 1, 2);
    double[] mu = {0.5, -0.5, 0, 0};
    double sigma = 1;
    double[] rho = new double[4];
    Arrays.fill(rho, Math.log(sigma));
    double m = -1;
    double sd = 2 * sigma;
    // E[softplus(d)] and its variance by the trapezoid rule over ±12 sd
    double mean = 0;
    double square = 0;
    int steps = 24_000;
    double h = 24.0 * sd / steps;
    for (int k = 0; k <= steps; k++) {
      double d = m - 12 * sd + k * h;
      double density = Math.exp(-0.5 * Math.pow((d - m) / sd, 2)) / (sd * Math.sqrt(2 * Math.PI));
      double weight = (k == 0 || k == steps) ? h / 2 : h;
      double softplus = Math.log1p(Math.exp(d));
      mean += weight * density * softplus;
      square += weight * density * softplus * softplus;
    }
    double standardError = Math.sqrt(n * (square - mean * mean));
    double estimate = eval.expectedLogLikelihood(mu, rho, data, new SplittableRandom(3));
    assertEquals(-n * mean, estimate, 5 * standardError);
    double atTheMeans = eval.logLikelihood(mu, data);
    assertEquals(-n * Math.log1p(Math.exp(m)), atTheMeans, 1e-9);
    assertTrue(atTheMeans - estimate > 20 * standardError,
        "the noise of q must cost likelihood: " + atTheMeans + " vs " + estimate);
    double kl = VariationalMlp.kl(mu, rho, 0.1);
    assertEquals(estimate - 3 * kl, eval.evidence(mu, rho, 3, data, new SplittableRandom(3)),
        1e-9);
  }

  @Test
  void aResultSplitsItsEvidenceBackIntoTheExpectedLogLikelihoodAndKl() {
    ComplexityResult r = new ComplexityResult(Variant.DIRECT, 7, new double[10], -100, 5, -20,
        0, 0);
    assertEquals(-65, r.expectedLogLikelihood(), 1e-12);
    assertEquals(-20, r.meanLogLikelihood(), 0);
  }
}
