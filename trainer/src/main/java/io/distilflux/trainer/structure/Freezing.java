package io.distilflux.trainer.structure;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Freezing parameters by their gradient-noise variance (docs/structure.md §3): rank the
 * parameters by ascending variance and freeze the k first, α_j = 0 iff rank_j ≤ k; the update
 * becomes w_t = w_{t−1} + α ⊙ Δw. The random and highest-variance orders are the controls.
 */
public final class Freezing {

  /** Which parameters are frozen first. */
  public enum Order {
    /** The lowest gradient-noise variance first (the method). */
    LOWEST_VARIANCE("lowest variance"),
    /** A uniformly random order (control). */
    RANDOM("random"),
    /** The highest variance first (the opposite control). */
    HIGHEST_VARIANCE("highest variance");

    private final String label;

    Order(String label) {
      this.label = label;
    }

    /** The name in reports. */
    public String label() {
      return label;
    }
  }

  private Freezing() {}

  /**
   * The 1-based rank of each parameter by ascending variance, ties by index: diag(0.3, 0.2,
   * 0.25) gives [3, 1, 2].
   */
  public static int[] ranks(double[] variance) {
    int[] order = Ranking.ascending(variance, IntStream.range(0, variance.length).toArray());
    int[] rank = new int[variance.length];
    for (int r = 0; r < order.length; r++) {
      rank[order[r]] = r + 1;
    }
    return rank;
  }

  /**
   * α: 0 for the {@code k} parameters first in {@code order}, 1 for the others.
   *
   * @param variance the gradient-noise variance per parameter
   * @param k how many to freeze, in 0..n
   * @param seed the random order's seed (unused by the other orders)
   */
  public static double[] mask(double[] variance, int k, Order order, long seed) {
    int n = variance.length;
    if (k < 0 || k > n) {
      throw new IllegalArgumentException("frozen count must be in 0.." + n + ", got " + k);
    }
    int[] all = IntStream.range(0, n).toArray();
    int[] sequence = switch (order) {
      case LOWEST_VARIANCE -> Ranking.ascending(variance, all);
      case HIGHEST_VARIANCE -> Ranking.descending(variance, all);
      case RANDOM -> {
        RandomPruning.shuffle(all, new SplittableRandom(seed));
        yield all;
      }
    };
    double[] alpha = new double[n];
    Arrays.fill(alpha, 1.0);
    for (int r = 0; r < k; r++) {
      alpha[sequence[r]] = 0.0;
    }
    return alpha;
  }
}
