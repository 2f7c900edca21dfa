package io.distilflux.trainer.structure;

import java.util.random.RandomGenerator;

/**
 * Optimal Brain Damage: at a minimum of the loss, with the effects of removals taken as additive
 * and only the Hessian's diagonal kept, removing w_j raises the loss by about h_jj·w_j²/2, so the
 * parameter with the smallest saliency goes first. The diagonal is Hutchinson's estimate (see
 * {@link HessianDiagonal}) of the negative log-likelihood's, or the empirical Fisher's diagonal.
 * Hutchinson's estimate of an entry can come out negative (its off-diagonal noise), which puts a
 * large weight among the first removed; the Fisher's cannot.
 */
public final class OptimalBrainDamage implements PruningEstimator {

  /** Hutchinson probes of the default estimate. */
  public static final int PROBES = 16;
  /** ε of the default central difference. */
  public static final double EPSILON = 1e-3;

  private final double[] saliency;

  /**
   * @param weights w, flat layout
   * @param hessianDiagonal h_jj of the loss at w, flat layout
   */
  public OptimalBrainDamage(double[] weights, double[] hessianDiagonal) {
    if (weights.length != hessianDiagonal.length) {
      throw new IllegalArgumentException("weights and Hessian diagonal differ in length");
    }
    saliency = new double[weights.length];
    for (int k = 0; k < weights.length; k++) {
      saliency[k] = hessianDiagonal[k] * weights[k] * weights[k] / 2;
    }
  }

  /**
   * The rule for a network's means {@code mu} with the Hessian diagonal of {@code loss} estimated
   * by {@link #PROBES} Rademacher probes and ε = {@link #EPSILON}.
   */
  public static OptimalBrainDamage estimate(MeanLoss loss, double[] mu, RandomGenerator random) {
    return new OptimalBrainDamage(mu,
        HessianDiagonal.hutchinson(loss::gradient, mu, PROBES, EPSILON, random));
  }

  /** The rule with the empirical Fisher's diagonal of {@code loss} in place of the Hessian's. */
  public static OptimalBrainDamage fisher(MeanLoss loss, double[] mu) {
    return new OptimalBrainDamage(mu, loss.empiricalFisherDiagonal(mu));
  }

  /** h_jj·w_j²/2 per parameter (a copy). */
  public double[] scores() {
    return saliency.clone();
  }

  @Override
  public int[] removalOrder(int[] candidates) {
    return Ranking.ascending(saliency, candidates);
  }
}
