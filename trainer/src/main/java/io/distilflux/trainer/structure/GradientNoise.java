package io.distilflux.trainer.structure;

/**
 * The running variance of the per-example gradient noise, one value per parameter (the diagonal
 * of the spec's covariance, docs/structure.md §3): after step t,
 * c_t = (1 − 1/t)·c_{t−1} + (1/t)·(g_1 − g_S)², where g_1 is the gradient on the batch's first
 * example and g_S the batch's mean gradient. With κ_t = 1/t the starting value drops out and
 * c_t is the plain mean of the squared deviations seen so far.
 */
public final class GradientNoise {

  private final double[] variance;
  private long steps;

  /** A running variance over {@code size} parameters, no step seen yet. */
  public GradientNoise(int size) {
    this.variance = new double[size];
  }

  /** One step's example gradient {@code first} (g_1) and batch gradient {@code batch} (g_S). */
  public void update(double[] first, double[] batch) {
    if (first.length != variance.length || batch.length != variance.length) {
      throw new IllegalArgumentException("gradients must hold " + variance.length + " values");
    }
    steps++;
    double kappa = 1.0 / steps;
    for (int k = 0; k < variance.length; k++) {
      double d = first[k] - batch[k];
      variance[k] = (1 - kappa) * variance[k] + kappa * d * d;
    }
  }

  /** c_t per parameter (a copy). */
  public double[] variance() {
    return variance.clone();
  }

  /** Steps seen (t). */
  public long steps() {
    return steps;
  }
}
