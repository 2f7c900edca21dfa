package io.distilflux.trainer.complexity;

/**
 * One variant evaluated at one λ.
 *
 * @param variant which variant
 * @param lambda the complexity weight
 * @param curve test accuracy at 0, 10, …, 90 % pruned ({@link Evaluator#FRACTIONS})
 * @param evidence 𝔏(λ) = E_q log p(D | w) − λ·KL on the training set
 * @param kl KL(q‖p) of the evaluated model
 * @param meanLogLikelihood log p(D | μ) on the training set, with the means: beside E_q log p, what
 *     the noise of q costs
 * @param updates the update count (Σ steps × trainable scalars) of what produced the model
 * @param seconds training wall time of what produced the model
 */
public record ComplexityResult(Variant variant, double lambda, double[] curve, double evidence,
    double kl, double meanLogLikelihood, long updates, double seconds) {

  /** Test accuracy unpruned. */
  public double accuracy() {
    return curve[0];
  }

  /**
   * 𝔏's first part, E_q log p(D | w) on the training set: 𝔏 + λ·KL. With {@link #kl} it shows
   * which part of 𝔏 a difference comes from.
   */
  public double expectedLogLikelihood() {
    return evidence + lambda * kl;
  }

  /** S = acc(0 %)/acc(90 %). */
  public double stability() {
    return Evaluator.stability(curve);
  }

  /** Accuracy lost by pruning {@code fraction} (one of the curve's fractions). */
  public double lossAt(double fraction) {
    for (int k = 0; k < Evaluator.FRACTIONS.length; k++) {
      if (Math.abs(Evaluator.FRACTIONS[k] - fraction) < 1e-9) {
        return curve[0] - curve[k];
      }
    }
    throw new IllegalArgumentException("no pruning level " + fraction);
  }
}
