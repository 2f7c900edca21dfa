package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.distilflux.trainer.complexity.Evaluator;
import io.distilflux.trainer.complexity.VariationalMlp;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The random, variational and OBD rules and their per-layer application. */
class PruningRulesTest {

  private final VariationalMlp network = new VariationalMlp(6, 5, 3);
  private final SplittableRandom random = new SplittableRandom(4);
  private final double[] mu = TestExamples.gaussian(network.parameterCount(), 0.5, 0, random);
  private final double[] rho = TestExamples.gaussian(network.parameterCount(), 0.5, -2, random);

  @Test
  void randomPruningIsReproducibleForASeed() {
    int[] candidates = Pruning.weights(network, 0);
    assertArrayEquals(new RandomPruning(9).removalOrder(candidates),
        new RandomPruning(9).removalOrder(candidates));
    assertFalse(Arrays.equals(new RandomPruning(9).removalOrder(candidates),
        new RandomPruning(10).removalOrder(candidates)));
    int[] sorted = new RandomPruning(9).removalOrder(candidates);
    Arrays.sort(sorted);
    assertArrayEquals(candidates, sorted);
  }

  @Test
  void variationalPruningRemovesWhatRelativeDensityPruningRemoves() {
    for (double fraction : new double[] {0.1, 0.5, 0.9}) {
      assertArrayEquals(new Evaluator(network, 0.1).prune(mu, rho, fraction),
          Pruning.perLayer(network, mu, new VariationalPruning(mu, rho), fraction));
    }
  }

  @Test
  void optimalBrainDamageRemovesTheSmallestSaliencyFirst() {
    double[] w = {1.0, -0.5, 2.0, 0.1};
    double[] h = {1.0, 8.0, 0.01, 100.0};
    // saliencies h·w²/2: 0.5, 1.0, 0.02, 0.5
    int[] order = new OptimalBrainDamage(w, h).removalOrder(new int[] {0, 1, 2, 3});
    assertArrayEquals(new int[] {2, 0, 3, 1}, order);
  }

  @Test
  void pruningAFractionZeroesThatShareOfEveryLayersWeightsAndNoBias() {
    double[] pruned = Pruning.perLayer(network, mu, new RandomPruning(1), 0.4);
    for (int l = 0; l < network.layers(); l++) {
      int zeros = 0;
      for (int k : Pruning.weights(network, l)) {
        zeros += pruned[k] == 0 ? 1 : 0;
      }
      assertEquals(Math.round(0.4 * network.weightCount(l)), zeros, "layer " + l);
      int bias = network.weightOffset(l) + network.weightCount(l);
      for (int j = 0; j < network.outputWidth(l); j++) {
        assertEquals(mu[bias + j], pruned[bias + j]);
      }
    }
  }
}
