package io.distilflux.trainer.structure;

/**
 * The variational rule: removes first the parameter whose posterior q = N(μ, σ²) puts the most
 * density on zero relative to its mean, p(0)/p(μ) = exp(−μ²/2σ²), i.e. the smallest |μ/σ|.
 */
public final class VariationalPruning implements PruningEstimator {

  private final double[] scores;

  /**
   * @param mu the posterior means, flat layout
   * @param rho the posterior log standard deviations (σ = e^ρ), flat layout
   */
  public VariationalPruning(double[] mu, double[] rho) {
    if (mu.length != rho.length) {
      throw new IllegalArgumentException("μ and ρ differ in length");
    }
    scores = new double[mu.length];
    for (int k = 0; k < mu.length; k++) {
      scores[k] = Math.abs(mu[k]) * Math.exp(-rho[k]);
    }
  }

  /** |μ/σ| per parameter (a copy); small means unimportant. */
  public double[] scores() {
    return scores.clone();
  }

  @Override
  public int[] removalOrder(int[] candidates) {
    return Ranking.ascending(scores, candidates);
  }
}
