package io.distilflux.pipeline.bench;

import java.util.Arrays;
import java.util.Collection;
import java.util.Optional;

/**
 * Order statistics of repeated measurements, shared by every benchmark {@code main}: the median
 * (the mean of the two middle values for an even count), nearest-rank percentiles, and a
 * distribution-free confidence interval of the median.
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

  /**
   * A confidence interval of a median: the k-th smallest and the k-th largest of the values.
   *
   * @param low the k-th smallest value
   * @param high the k-th largest value
   * @param coverage the probability that the interval holds the true median of the distribution
   *     the values were drawn from, independently, whatever that distribution is
   */
  public record Interval(double low, double high, double coverage) {}

  /**
   * The narrowest interval between order statistics, [x₍ₖ₎, x₍ₙ₋ₖ₊₁₎], that holds the true median
   * with probability at least {@code confidence}, assuming only independent draws from one
   * continuous distribution: the number of values below the median is then Binomial(n, ½), so
   * the coverage is 1 − 2·P(B ≤ k − 1). Empty when even the smallest and largest value give
   * less (fewer than 6 values at 95 %).
   *
   * @param confidence in (0, 1), e.g. 0.95
   */
  public static Optional<Interval> medianInterval(double[] values, double confidence) {
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
    }
    int n = values.length;
    double[] sorted = sorted(values);
    Optional<Interval> best = Optional.empty();
    // P(B <= k - 1), summed in log space so that 0.5^n does not underflow for large n
    double logTerm = n * Math.log(0.5);
    double below = 0;
    for (int k = 1; 2 * k <= n; k++) {
      below += Math.exp(logTerm);
      double coverage = 1 - 2 * below;
      if (coverage < confidence) {
        break;
      }
      best = Optional.of(new Interval(sorted[k - 1], sorted[n - k], coverage));
      logTerm += Math.log(n - (k - 1)) - Math.log(k);
    }
    return best;
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
