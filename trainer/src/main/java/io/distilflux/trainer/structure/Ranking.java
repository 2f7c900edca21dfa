package io.distilflux.trainer.structure;

import java.util.Arrays;

/** Orders indices by a score, smallest first, ties broken by index (a reproducible order). */
final class Ranking {

  private Ranking() {}

  /** {@code candidates} sorted by ascending {@code score[candidate]}, then by index. */
  static int[] ascending(double[] score, int[] candidates) {
    for (int c : candidates) {
      if (c < 0 || c >= score.length) {
        throw new IllegalArgumentException("candidate " + c + " outside 0.." + (score.length - 1));
      }
      if (Double.isNaN(score[c])) {
        throw new IllegalArgumentException("score of parameter " + c + " is NaN");
      }
    }
    return Arrays.stream(candidates).boxed()
        .sorted((a, b) -> {
          int c = Double.compare(score[a], score[b]);
          return c != 0 ? c : Integer.compare(a, b);
        })
        .mapToInt(Integer::intValue).toArray();
  }

  /** {@code candidates} sorted by descending score, ties broken by index. */
  static int[] descending(double[] score, int[] candidates) {
    double[] negated = new double[score.length];
    for (int k = 0; k < score.length; k++) {
      negated[k] = -score[k];
    }
    return ascending(negated, candidates);
  }
}
