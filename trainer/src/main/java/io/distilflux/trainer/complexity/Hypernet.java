package io.distilflux.trainer.complexity;

/**
 * What generates the variational parameters θ = (μ, ρ) of a {@link VariationalMlp} from the
 * complexity weight λ, and is trained in their place (docs/complexity.md §1): a
 * {@link DirectModel} (θ itself, one model per λ), a {@link LinearHypernet} G(λ) = λ·b2 + b3 or
 * a {@link LowRankHypernet}. The trainable scalars live in {@link #parameters()}.
 */
public interface Hypernet {

  /** The trainable scalars, one flat array owned by the hypernetwork (updated in place). */
  double[] parameters();

  /** Length of one generated vector μ or ρ. */
  int targetSize();

  /** θ = G(λ): writes μ and ρ (each of {@link #targetSize()}). */
  void generate(double lambda, double[] mu, double[] rho);

  /**
   * Adds {@code weight}·(∂θ/∂φ)ᵀ(gradMu, gradRho) at λ to {@code gradient} (the length of
   * {@link #parameters()}): the chain rule from the generated parameters to the trainable ones.
   */
  void accumulate(double lambda, double[] gradMu, double[] gradRho, double weight,
      double[] gradient);
}
