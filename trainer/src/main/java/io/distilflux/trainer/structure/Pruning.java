package io.distilflux.trainer.structure;

import io.distilflux.trainer.complexity.VariationalMlp;
import java.util.stream.IntStream;

/** Applies a {@link PruningEstimator}: which parameters are candidates, and zeroing them. */
public final class Pruning {

  private Pruning() {}

  /** The flat indices of layer {@code l}'s weights (not its biases). */
  public static int[] weights(VariationalMlp network, int l) {
    int offset = network.weightOffset(l);
    return IntStream.range(offset, offset + network.weightCount(l)).toArray();
  }

  /**
   * A copy of {@code mu} with the first round(fraction·n) parameters of each layer's weights set
   * to zero, in the estimator's order for that layer (Graves's per-layer pruning, weights only).
   */
  public static double[] perLayer(VariationalMlp network, double[] mu,
      PruningEstimator estimator, double fraction) {
    double[] pruned = mu.clone();
    for (int l = 0; l < network.layers(); l++) {
      zero(pruned, estimator.removalOrder(weights(network, l)), fraction);
    }
    return pruned;
  }

  /**
   * A copy of {@code mu} with the first round(fraction·n) parameters of one layer's weights set
   * to zero, in the estimator's order.
   */
  public static double[] oneLayer(VariationalMlp network, double[] mu, int l,
      PruningEstimator estimator, double fraction) {
    double[] pruned = mu.clone();
    zero(pruned, estimator.removalOrder(weights(network, l)), fraction);
    return pruned;
  }

  /** Zeroes the first round(fraction·order.length) entries of {@code order} in {@code w}. */
  static void zero(double[] w, int[] order, double fraction) {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException("fraction must be in [0, 1], got " + fraction);
    }
    int remove = (int) Math.round(fraction * order.length);
    for (int k = 0; k < remove; k++) {
      w[order[k]] = 0.0;
    }
  }
}
