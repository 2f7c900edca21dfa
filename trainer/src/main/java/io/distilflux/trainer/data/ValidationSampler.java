package io.distilflux.trainer.data;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Draws validation batches for the hypergradient: draw number {@code step} is fixed by
 * (seed, step), so a run can be replayed; when the requested size is at least the size of D_val
 * every draw is the whole set. Each draw returns fresh arrays (they are small and the caller may
 * keep them).
 */
public final class ValidationSampler {

  private final Split validation;
  private final int size;
  private final long seed;

  /**
   * @param validation D_val
   * @param batchSize examples per draw (the whole set when ≥ its size)
   * @param seed fixes the draws
   */
  public ValidationSampler(Split validation, int batchSize, long seed) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("validation batchSize must be > 0, got " + batchSize);
    }
    this.validation = validation;
    this.size = batchSize;
    this.seed = seed;
  }

  /** The validation batch for draw number {@code step}. */
  public Split draw(long step) {
    int n = validation.size();
    if (size >= n) {
      return validation;
    }
    int[] picked = sample(n, size, new SplittableRandom(Permutation.mix(seed, step)));
    return new Split(gather(validation.features(), picked), gather(validation.labels(), picked));
  }

  /** {@code k} distinct indices out of n (partial Fisher–Yates), in draw order. */
  private static int[] sample(int n, int k, SplittableRandom random) {
    int[] pool = new int[n];
    for (int i = 0; i < n; i++) {
      pool[i] = i;
    }
    for (int i = 0; i < k; i++) {
      int j = i + random.nextInt(n - i);
      int swap = pool[i];
      pool[i] = pool[j];
      pool[j] = swap;
    }
    return java.util.Arrays.copyOf(pool, k);
  }

  private static INDArray gather(INDArray source, int[] rows) {
    long[] shape = source.shape().clone();
    long n = shape[0];
    INDArray flat = source.reshape('c', n, source.length() / n);
    INDArray out = Nd4j.pullRows(flat, 1, rows);
    shape[0] = rows.length;
    return out.reshape('c', shape);
  }
}
