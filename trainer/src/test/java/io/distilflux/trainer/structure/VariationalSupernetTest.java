package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.trainer.complexity.Examples;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The variational supernet: its layers, the structure-weighted KL and its gradients, the
 * closed-form precisions, the sampled weights' gradient, and c_prior's effect on a search.
 */
class VariationalSupernetTest {

  private final Supernet net = new Supernet(4, new int[] {3, 2}, new boolean[] {false, true}, 2,
      3);
  private final VariationalSupernet variational = new VariationalSupernet(net);

  @Test
  void theLayersTileTheFlatWeights() {
    int at = 0;
    for (Supernet.Layer layer : variational.layers()) {
      assertEquals(at, layer.from());
      at = layer.to();
    }
    assertEquals(net.parameterCount(), at);
    // one layer per width block and per linear output block, two for the deep one
    assertEquals(5, variational.layers().size());
  }

  @Test
  void theStructureWeightedKlGradientMatchesCentralDifferences() {
    SplittableRandom random = new SplittableRandom(3);
    int n = net.parameterCount();
    double[] mu = TestExamples.gaussian(n, 0.5, 0, random);
    double[] rho = TestExamples.gaussian(n, 0.3, -1, random);
    double[] logAlpha = TestExamples.gaussian(net.structureSize(), 1, 0, random);
    // the precisions refreshed at every point: the analytic gradient, taken with them held
    // fixed, is the total one at their optimum
    DoubleSupplier kl = () -> variational.expectedKl(logAlpha,
        variational.blockKl(mu, rho, variational.optimalPriorVariances(mu, rho)));
    double[] variances = variational.optimalPriorVariances(mu, rho);
    double[] blockKl = variational.blockKl(mu, rho, variances);
    double[] gradLogits = new double[logAlpha.length];
    variational.addLogitGradient(logAlpha, blockKl, 1, gradLogits);
    double[] gradMu = new double[n];
    double[] gradRho = new double[n];
    variational.addWeightGradient(logAlpha, mu, rho, variances, 1, gradMu, gradRho);
    assertMatches(logAlpha, gradLogits, kl, "log α");
    assertMatches(mu, gradMu, kl, "μ");
    assertMatches(rho, gradRho, kl, "ρ");
  }

  @Test
  void theClosedFormPrecisionMinimisesEachLayersKl() {
    SplittableRandom random = new SplittableRandom(4);
    int n = net.parameterCount();
    double[] mu = TestExamples.gaussian(n, 0.4, 0.1, random);
    double[] rho = TestExamples.gaussian(n, 0.2, -2, random);
    double[] best = variational.optimalPriorVariances(mu, rho);
    double[] atBest = variational.blockKl(mu, rho, best);
    for (int l = 0; l < best.length; l++) {
      for (double factor : new double[] {0.5, 0.9, 0.99, 1.01, 1.1, 2}) {
        double[] other = best.clone();
        other[l] *= factor;
        double[] kl = variational.blockKl(mu, rho, other);
        for (int j = 0; j < kl.length; j++) {
          assertTrue(kl[j] >= atBest[j] - 1e-12, "layer " + l + " × " + factor);
        }
        Supernet.Layer layer = variational.layers().get(l);
        int block = net.offset(layer.edge()) + layer.block();
        assertTrue(kl[block] > atBest[block], "layer " + l + " × " + factor);
      }
    }
  }

  @Test
  void theSampledWeightsGradientMatchesCentralDifferences() {
    SplittableRandom random = new SplittableRandom(6);
    Examples data = TestExamples.clusters(20, 4, 3, 7);
    int[] order = IntStream.range(0, 20).toArray();
    int n = net.parameterCount();
    double[] mu = new double[n];
    double[] rho = new double[n];
    variational.initialise(mu, rho, random);
    Arrays.fill(rho, -1);
    double[] eps = TestExamples.gaussian(n, 1, 0, random);
    double[] logAlpha = TestExamples.gaussian(net.structureSize(), 1, 0, random);
    double[] noise = SupernetLoss.noise(net, random);
    SupernetLoss loss = new SupernetLoss(net, 20);
    double[] w = new double[n];
    DoubleSupplier value = () -> {
      VariationalSupernet.sample(mu, rho, eps, w);
      return loss.evaluate(w, logAlpha, noise, 0.7, data, order, 0, 20, null, null);
    };
    VariationalSupernet.sample(mu, rho, eps, w);
    double[] gradW = new double[n];
    loss.evaluate(w, logAlpha, noise, 0.7, data, order, 0, 20, gradW, null);
    double[] gradRho = new double[n];
    VariationalSupernet.sampleGradient(gradW, rho, eps, gradRho);
    assertMatches(mu, gradW, value, "μ");
    assertMatches(rho, gradRho, value, "ρ");
  }

  @Test
  void aLargerPriorWeightEndsWithASmallerKlAndNoWiderHiddenLayer() {
    Supernet small = new Supernet(12, new int[] {16, 4}, new boolean[] {false, true}, 8, 6);
    VariationalSupernet v = new VariationalSupernet(small);
    Examples train = TestExamples.clusters(400, 12, 6, 31);
    Examples validation = TestExamples.clusters(100, 12, 6, 32);
    SupernetSearch.Settings settings = new SupernetSearch.Settings(1, 32, 1e-2, 5e-2, 1.0, 0.1,
        3);
    double[] kl = new double[2];
    double[] width = new double[2];
    double[] weights = {0.1, 10};
    for (int r = 0; r < 2; r++) {
      SupernetSearch.Outcome outcome = new SupernetSearch(small, settings, null,
          new SupernetSearch.Prior(1, weights[r])).run(train, validation);
      assertNotNull(outcome.rho());
      double[] blockKl = v.blockKl(outcome.weights(), outcome.rho(),
          v.optimalPriorVariances(outcome.weights(), outcome.rho()));
      kl[r] = v.expectedKl(outcome.logAlpha(), blockKl);
      width[r] = v.expectedWidth(outcome.logAlpha());
    }
    assertTrue(kl[1] < kl[0], "KL at c_prior 10: " + kl[1] + ", at 0.1: " + kl[0]);
    assertTrue(width[1] <= width[0], "width at c_prior 10: " + width[1] + ", at 0.1: "
        + width[0]);
  }

  @Test
  void deterministicSearchesHaveNoDeviationsAndBadWeightsAreRefused() {
    Supernet small = new Supernet(12, new int[] {4}, new boolean[] {false}, 8, 6);
    Examples data = TestExamples.clusters(64, 12, 6, 5);
    SupernetSearch.Settings settings = new SupernetSearch.Settings(1, 32, 1e-2, 5e-2, 1.0, 0.1,
        3);
    SupernetSearch.Outcome plain = new SupernetSearch(small, settings).run(data, data);
    assertNull(plain.rho());
    SupernetSearch.Outcome none = new SupernetSearch(small, settings, null, null).run(data, data);
    assertArrayEquals(plain.weights(), none.weights(), 0.0);
    assertThrows(IllegalArgumentException.class, () -> new SupernetSearch.Prior(-1, 1));
    assertThrows(IllegalArgumentException.class,
        () -> new SupernetSearch.Prior(1, Double.POSITIVE_INFINITY));
    assertThrows(IllegalArgumentException.class,
        () -> variational.blockKl(new double[net.parameterCount()],
            new double[net.parameterCount()], new double[2]));
  }

  /** Compares {@code gradient} with central differences of {@code f} in every entry of x. */
  private static void assertMatches(double[] x, double[] gradient, DoubleSupplier f,
      String what) {
    double h = 1e-5;
    for (int k = 0; k < x.length; k++) {
      double kept = x[k];
      x[k] = kept + h;
      double plus = f.getAsDouble();
      x[k] = kept - h;
      double minus = f.getAsDouble();
      x[k] = kept;
      double numeric = (plus - minus) / (2 * h);
      assertEquals(numeric, gradient[k], 1e-6 * Math.max(1, Math.abs(numeric)),
          what + " entry " + k);
    }
  }
}
