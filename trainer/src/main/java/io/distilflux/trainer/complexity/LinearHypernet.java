package io.distilflux.trainer.complexity;

/**
 * The linear hypernetwork G(λ) = u(λ)·b2 + b3 (the paper's eq. 6, variant (д)), generating μ and
 * ρ, with u(λ) = λ by default ({@link LambdaInput}). Parameters: [b2 (μ then ρ), b3 (μ then ρ)].
 */
public final class LinearHypernet implements Hypernet {

  private final double[] phi;
  private final int size;
  private final LambdaInput input;

  /**
   * A hypernetwork that starts as the λ-independent model (μ, ρ): b2 = 0, b3 = (μ, ρ).
   */
  public LinearHypernet(double[] mu, double[] rho, LambdaInput input) {
    if (mu.length != rho.length) {
      throw new IllegalArgumentException("μ and ρ differ in length");
    }
    this.size = mu.length;
    this.input = input;
    this.phi = new double[4 * size];
    System.arraycopy(mu, 0, phi, 2 * size, size);
    System.arraycopy(rho, 0, phi, 3 * size, size);
  }

  @Override
  public double[] parameters() {
    return phi;
  }

  @Override
  public int targetSize() {
    return size;
  }

  @Override
  public void generate(double lambda, double[] mu, double[] rho) {
    double u = input.encode(lambda);
    int b3 = 2 * size;
    for (int k = 0; k < size; k++) {
      mu[k] = u * phi[k] + phi[b3 + k];
      rho[k] = u * phi[size + k] + phi[b3 + size + k];
    }
  }

  @Override
  public void accumulate(double lambda, double[] gradMu, double[] gradRho, double weight,
      double[] gradient) {
    double u = input.encode(lambda);
    int b3 = 2 * size;
    for (int k = 0; k < size; k++) {
      gradient[k] += weight * u * gradMu[k];
      gradient[size + k] += weight * u * gradRho[k];
      gradient[b3 + k] += weight * gradMu[k];
      gradient[b3 + size + k] += weight * gradRho[k];
    }
  }
}
