package io.distilflux.trainer.data;

import java.util.SplittableRandom;

/** Deterministic index permutations and samples derived from a seed and a counter. */
public final class Permutation {

  private Permutation() {}

  /**
   * A permutation of 0..n-1 that depends only on ({@code seed}, {@code round}); Fisher–Yates
   * over a {@link SplittableRandom}, so it is the same on every backend.
   */
  public static int[] of(int n, long seed, long round) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    shuffle(order, new SplittableRandom(mix(seed, round)));
    return order;
  }

  static void shuffle(int[] order, SplittableRandom random) {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
  }

  /** Combines seed and round so neighbouring rounds give unrelated streams. */
  static long mix(long seed, long round) {
    long z = seed * 0x9E3779B97F4A7C15L + round;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
