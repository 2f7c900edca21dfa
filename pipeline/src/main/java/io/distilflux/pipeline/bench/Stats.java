package io.distilflux.pipeline.bench;

import java.util.Arrays;
import java.util.Collection;

/**
 * Order statistics of repeated measurements, shared by every benchmark {@code main}: the median
 * (the mean of the two middle values for an even count) and nearest-rank percentiles.
 */
public final class Stats {

  private Stats() {}

  /** The median of the values; NaN when there are none. */
  public static double median(double... values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = sorted(values);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** The median of the values; NaN when there are none. */
  public static double median(Collection<? extends Number> values) {
    return median(values.stream().mapToDouble(Number::doubleValue).toArray());
  }

  /**
   * The nearest-rank percentile: the smallest value with at least {@code fraction} of the values
   * at or below it; NaN when there are none.
   *
   * @param fraction in [0, 1], e.g. 0.99 for p99
   */
  public static double percentile(double[] values, double fraction) {
    if (fraction < 0 || fraction > 1 || Double.isNaN(fraction)) {
      throw new IllegalArgumentException("fraction must be in [0, 1], got " + fraction);
    }
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = sorted(values);
    int index = (int) Math.ceil(fraction * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  /** The smallest value; NaN when there are none. */
  public static double min(double... values) {
    return Arrays.stream(values).min().orElse(Double.NaN);
  }

  /** The largest value; NaN when there are none. */
  public static double max(double... values) {
    return Arrays.stream(values).max().orElse(Double.NaN);
  }

  private static double[] sorted(double[] values) {
    double[] copy = values.clone();
    Arrays.sort(copy);
    return copy;
  }
}
