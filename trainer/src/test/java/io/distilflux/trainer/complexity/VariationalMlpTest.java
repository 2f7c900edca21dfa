package io.distilflux.trainer.complexity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The variational layers: the KL term and its gradient, and the sampled forward's backward,
 * against central differences in double precision (docs/method.md §2); prediction with the means.
 */
class VariationalMlpTest {

  private static final double PRIOR = 0.1;
  private final VariationalMlp network = new VariationalMlp(6, 5, 4, 3);
  private final SplittableRandom random = new SplittableRandom(7);

  @Test
  void klMatchesTheClosedFormOfOneGaussian() {
    double mu = 0.3;
    double rho = -1.2;
    double sigma2 = Math.exp(2 * rho);
    // KL(N(μ, σ²) ‖ N(0, s²)) = ln(s/σ) + (σ² + μ²)/(2s²) − ½
    double expected = 0.5 * Math.log(PRIOR / sigma2) + (sigma2 + mu * mu) / (2 * PRIOR) - 0.5;
    assertEquals(expected, VariationalMlp.kl(new double[] {mu}, new double[] {rho}, PRIOR),
        1e-15);
    assertEquals(0.0, VariationalMlp.kl(new double[] {0}, new double[] {0.5 * Math.log(PRIOR)},
        PRIOR), 1e-15);
  }

  @Test
  void klGradientMatchesCentralDifferences() {
    int p = network.parameterCount();
    double[] mu = TestData.gaussian(p, 0.5, 0, random);
    double[] rho = TestData.gaussian(p, 0.5, -2, random);
    double[] gradMu = new double[p];
    double[] gradRho = new double[p];
    VariationalMlp.addKlGradient(mu, rho, PRIOR, 2.5, gradMu, gradRho);
    double h = 1e-6;
    for (int k = 0; k < p; k++) {
      assertClose(gradMu[k], 2.5 * difference(mu, k, h,
          () -> VariationalMlp.kl(mu, rho, PRIOR)), 1e-6, "∂KL/∂μ " + k);
      assertClose(gradRho[k], 2.5 * difference(rho, k, h,
          () -> VariationalMlp.kl(mu, rho, PRIOR)), 1e-6, "∂KL/∂ρ " + k);
    }
  }

  @Test
  void sampledBackwardMatchesCentralDifferencesWithTheNoiseFixed() {
    int p = network.parameterCount();
    int rows = 5;
    Examples data = TestData.clusters(rows, 6, 3);
    int[] order = {0, 1, 2, 3, 4};
    double[] mu = TestData.gaussian(p, 0.6, 0.05, random);
    double[] rho = TestData.gaussian(p, 0.3, -1.5, random);
    double[] sigma2 = new double[p];
    VariationalMlp.variances(rho, sigma2);
    VariationalMlp.Buffers buffers = network.buffers(rows);
    data.copyRows(order, 0, rows, buffers.input());
    network.drawNoise(buffers, rows, random);
    double[] logitGradient = new double[rows * 3];
    network.sampledForward(mu, sigma2, buffers, rows);
    CrossEntropy.meanAndGradient(buffers.logits(), data.labels(), order, 0, rows, 3,
        logitGradient);
    double[] gradMu = new double[p];
    double[] gradSigma2 = new double[p];
    network.backward(mu, sigma2, buffers, rows, logitGradient, gradMu, gradSigma2);
    java.util.function.DoubleSupplier loss = () -> {
      network.sampledForward(mu, sigma2, buffers, rows);
      return CrossEntropy.meanAndGradient(buffers.logits(), data.labels(), order, 0, rows, 3,
          new double[rows * 3]);
    };
    int checked = 0;
    for (int k = 0; k < p; k++) {
      assertClose(gradMu[k], difference(mu, k, 1e-6, loss), 1e-6, "∂L/∂μ " + k);
      assertClose(gradSigma2[k], difference(sigma2, k, 1e-7, loss), 1e-5, "∂L/∂σ² " + k);
      checked += gradMu[k] != 0 ? 1 : 0;
    }
    assertTrue(checked > p / 2, "most gradients are non-zero: " + checked + " of " + p);
  }

  @Test
  void meanForwardIsTheSampledForwardWithoutNoise() {
    int p = network.parameterCount();
    int rows = 4;
    Examples data = TestData.clusters(rows, 6, 5);
    double[] mu = TestData.gaussian(p, 0.6, 0.05, random);
    double[] sigma2 = new double[p];
    java.util.Arrays.fill(sigma2, 1e-30);
    VariationalMlp.Buffers sampled = network.buffers(rows);
    VariationalMlp.Buffers means = network.buffers(rows);
    data.copyRows(new int[] {0, 1, 2, 3}, 0, rows, sampled.input());
    data.copyRows(new int[] {0, 1, 2, 3}, 0, rows, means.input());
    network.drawNoise(sampled, rows, random);
    network.sampledForward(mu, sigma2, sampled, rows);
    network.meanForward(mu, means, rows);
    for (int k = 0; k < rows * 3; k++) {
      assertEquals(means.logits()[k], sampled.logits()[k], 1e-9);
    }
  }

  @Test
  void sampledLogitsSpreadWithTheVariance() {
    int p = network.parameterCount();
    Examples data = TestData.clusters(1, 6, 9);
    double[] mu = TestData.gaussian(p, 0.6, 0.05, random);
    double[] small = new double[p];
    double[] large = new double[p];
    java.util.Arrays.fill(small, 1e-4);
    java.util.Arrays.fill(large, 1e-1);
    assertTrue(spread(mu, large, data) > 10 * spread(mu, small, data));
  }

  private double spread(double[] mu, double[] sigma2, Examples data) {
    VariationalMlp.Buffers b = network.buffers(1);
    data.copyRows(new int[] {0}, 0, 1, b.input());
    double sum = 0;
    double sumSq = 0;
    int n = 400;
    for (int s = 0; s < n; s++) {
      network.drawNoise(b, 1, random);
      network.sampledForward(mu, sigma2, b, 1);
      sum += b.logits()[0];
      sumSq += b.logits()[0] * b.logits()[0];
    }
    return Math.sqrt(sumSq / n - (sum / n) * (sum / n));
  }

  /** (f(x + h e_k) − f(x − h e_k))/2h, restoring x. */
  static double difference(double[] x, int k, double h, java.util.function.DoubleSupplier f) {
    double saved = x[k];
    x[k] = saved + h;
    double plus = f.getAsDouble();
    x[k] = saved - h;
    double minus = f.getAsDouble();
    x[k] = saved;
    return (plus - minus) / (2 * h);
  }

  static void assertClose(double analytic, double numeric, double tolerance, String what) {
    double scale = Math.max(1e-3, Math.max(Math.abs(analytic), Math.abs(numeric)));
    assertTrue(Math.abs(analytic - numeric) <= tolerance * scale,
        what + ": analytic " + analytic + " vs central difference " + numeric);
  }
}
