package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Gumbel-softmax relaxation: its samples, its gradient and its density. */
class GumbelSoftmaxTest {

  private final double[] logAlpha = {0.3, -0.8, 1.1};
  private final double[] weights = {1.5, -2.0, 0.7};

  /** A loss of γ that is not linear: L = Σ w_h γ_h² + γ_0γ_2. */
  private double loss(double[] logits, double[] noise, double c) {
    double[] g = GumbelSoftmax.relaxed(logits, noise, c);
    double sum = g[0] * g[2];
    for (int h = 0; h < g.length; h++) {
      sum += weights[h] * g[h] * g[h];
    }
    return sum;
  }

  @Test
  void theGradientMatchesCentralDifferencesWithTheNoiseFixed() {
    double[] noise = GumbelSoftmax.gumbel(3, new SplittableRandom(4));
    double c = 0.7;
    double[] g = GumbelSoftmax.relaxed(logAlpha, noise, c);
    double[] gradGamma = new double[3];
    for (int h = 0; h < 3; h++) {
      gradGamma[h] = 2 * weights[h] * g[h];
    }
    gradGamma[0] += g[2];
    gradGamma[2] += g[0];
    double[] gradLogAlpha = new double[3];
    double gradC = GumbelSoftmax.backward(logAlpha, noise, c, gradGamma, gradLogAlpha);
    double e = 1e-6;
    for (int h = 0; h < 3; h++) {
      double[] plus = logAlpha.clone();
      double[] minus = logAlpha.clone();
      plus[h] += e;
      minus[h] -= e;
      double expected = (loss(plus, noise, c) - loss(minus, noise, c)) / (2 * e);
      assertEquals(expected, gradLogAlpha[h], 1e-8, "dL/dlog α_" + h);
    }
    double expected = (loss(logAlpha, noise, c + e) - loss(logAlpha, noise, c - e)) / (2 * e);
    assertEquals(expected, gradC, 1e-8, "dL/dc");
  }

  @Test
  void theLargestWeightFallsOnEachAlternativeInProportionToAlpha() {
    SplittableRandom random = new SplittableRandom(9);
    int n = 20_000;
    int[] wins = new int[3];
    for (int s = 0; s < n; s++) {
      wins[GumbelSoftmax.argmax(GumbelSoftmax.sample(logAlpha, 2.0, random))]++;
    }
    double z = 0;
    for (double a : logAlpha) {
      z += Math.exp(a);
    }
    for (int h = 0; h < 3; h++) {
      double p = Math.exp(logAlpha[h]) / z;
      double sd = Math.sqrt(p * (1 - p) / n);
      assertEquals(p, (double) wins[h] / n, 4 * sd, "alternative " + h);
    }
  }

  @Test
  void lowerTemperaturesGiveSamplesCloserToOneHot() {
    SplittableRandom random = new SplittableRandom(2);
    int n = 2000;
    double meanLargest = 0;
    for (int s = 0; s < n; s++) {
      double[] noise = GumbelSoftmax.gumbel(3, random);
      double previous = 0;
      for (double c : new double[] {1.0, 0.1, 0.01}) {
        double largest = max(GumbelSoftmax.relaxed(logAlpha, noise, c));
        // the same noise, a sharper softmax: the largest weight can only grow
        assertTrue(largest >= previous, "c = " + c + ": " + largest + " < " + previous);
        previous = largest;
      }
      meanLargest += previous / n;
    }
    assertTrue(meanLargest > 0.98, "mean largest weight at c = 0.01: " + meanLargest);
  }

  private static double max(double[] v) {
    double m = Double.NEGATIVE_INFINITY;
    for (double x : v) {
      m = Math.max(m, x);
    }
    return m;
  }

  @Test
  void theDensityIntegratesToOneOverTheSimplex() {
    double[] two = {0.4, -0.3};
    for (double c : new double[] {1.5, 3.0}) {
      int n = 200_000;
      double sum = 0;
      for (int i = 0; i < n; i++) {
        double x = (i + 0.5) / n;
        sum += Math.exp(GumbelSoftmax.logDensity(new double[] {x, 1 - x}, two, c)) / n;
      }
      assertEquals(1.0, sum, 1e-4, "c = " + c);
    }
  }

  @Test
  void theDensityAgreesWithTheSamplesOnAnInterval() {
    double[] two = {0.4, -0.3};
    double c = 1.5;
    SplittableRandom random = new SplittableRandom(5);
    int n = 40_000;
    int inside = 0;
    for (int s = 0; s < n; s++) {
      double g = GumbelSoftmax.sample(two, c, random)[0];
      inside += g > 0.2 && g < 0.6 ? 1 : 0;
    }
    double p = 0;
    int m = 10_000;
    for (int i = 0; i < m; i++) {
      double x = 0.2 + 0.4 * (i + 0.5) / m;
      p += 0.4 / m * Math.exp(GumbelSoftmax.logDensity(new double[] {x, 1 - x}, two, c));
    }
    assertEquals(p, (double) inside / n, 4 * Math.sqrt(p * (1 - p) / n));
  }

  @Test
  void theTemperatureAnnealsGeometrically() {
    assertEquals(1.0, GumbelSoftmax.annealed(1, 0.1, 0, 100), 1e-15);
    assertEquals(Math.sqrt(0.1), GumbelSoftmax.annealed(1, 0.1, 50, 100), 1e-15);
    assertEquals(0.1, GumbelSoftmax.annealed(1, 0.1, 100, 100), 1e-15);
    assertThrows(IllegalArgumentException.class, () -> GumbelSoftmax.annealed(1, 0.1, 101, 100));
    assertThrows(IllegalArgumentException.class,
        () -> GumbelSoftmax.relaxed(logAlpha, new double[3], 0));
  }
}
