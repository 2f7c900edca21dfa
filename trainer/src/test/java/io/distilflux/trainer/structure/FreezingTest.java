package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.trainer.complexity.Adam;
import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.VariationalMlp;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Ranking by variance, the freezing mask and the masked update. */
class FreezingTest {

  @Test
  void ranksFollowAscendingVariance() {
    assertArrayEquals(new int[] {3, 1, 2}, Freezing.ranks(new double[] {0.3, 0.2, 0.25}));
  }

  @Test
  void theLowestAndHighestOrdersFreezeTheKSmallestAndLargestVariances() {
    double[] variance = {0.5, 0.0, 0.9, 0.1, 0.0, 0.7};
    assertArrayEquals(new double[] {1, 0, 1, 0, 0, 1},
        Freezing.mask(variance, 3, Freezing.Order.LOWEST_VARIANCE, 0));
    assertArrayEquals(new double[] {1, 1, 0, 1, 1, 0},
        Freezing.mask(variance, 2, Freezing.Order.HIGHEST_VARIANCE, 0));
    double[] random = Freezing.mask(variance, 4, Freezing.Order.RANDOM, 8);
    assertEquals(2.0, Arrays.stream(random).sum());
    assertArrayEquals(random, Freezing.mask(variance, 4, Freezing.Order.RANDOM, 8));
    assertThrows(IllegalArgumentException.class,
        () -> Freezing.mask(variance, 7, Freezing.Order.RANDOM, 0));
  }

  @Test
  void frozenParametersStayWhereTheyAreAndTheOthersTrain() {
    VariationalMlp network = new VariationalMlp(6, 5, 3);
    Examples data = TestExamples.clusters(40, 6, 3, 2);
    double[] w = TestExamples.gaussian(network.parameterCount(), 0.4, 0,
        new SplittableRandom(1));
    double[] start = w.clone();
    double[] alpha = Freezing.mask(new double[w.length], w.length / 2,
        Freezing.Order.RANDOM, 3);
    GradientNoise noise = new GradientNoise(w.length);
    MaskedTraining.Outcome outcome = new MaskedTraining(network, 8).train(w,
        new Adam(w.length, 1e-2, Double.POSITIVE_INFINITY), data, 2, alpha, noise,
        new SplittableRandom(4));
    assertEquals(10, outcome.steps());
    assertEquals(10L * (w.length - w.length / 2), outcome.updates());
    assertEquals(10, noise.steps());
    int moved = 0;
    for (int k = 0; k < w.length; k++) {
      if (alpha[k] == 0) {
        assertEquals(start[k], w[k], "frozen parameter " + k);
      } else if (w[k] != start[k]) {
        moved++;
      }
    }
    assertNotEquals(0, moved);
  }

  @Test
  void trainingLowersTheLoss() {
    VariationalMlp network = new VariationalMlp(6, 5, 3);
    Examples data = TestExamples.clusters(60, 6, 3, 9);
    double[] w = TestExamples.gaussian(network.parameterCount(), 0.4, 0,
        new SplittableRandom(2));
    MeanLoss loss = new MeanLoss(network, data);
    double before = loss.value(w);
    new MaskedTraining(network, 10).train(w, new Adam(w.length, 1e-2, Double.POSITIVE_INFINITY),
        data, 5, null, null, new SplittableRandom(6));
    double after = loss.value(w);
    assertTrue(after < before, before + " -> " + after);
  }
}
