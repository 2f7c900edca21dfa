package io.distilflux.trainer.structure;

import java.util.SplittableRandom;

/** Removes parameters in a uniformly random order, ξ ~ U(𝒜); the same seed, the same order. */
public final class RandomPruning implements PruningEstimator {

  private final long seed;

  /** A random rule drawing its order from {@code seed}. */
  public RandomPruning(long seed) {
    this.seed = seed;
  }

  @Override
  public int[] removalOrder(int[] candidates) {
    int[] order = candidates.clone();
    shuffle(order, new SplittableRandom(seed));
    return order;
  }

  /** Fisher–Yates shuffle in place. */
  static void shuffle(int[] order, SplittableRandom random) {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
}
