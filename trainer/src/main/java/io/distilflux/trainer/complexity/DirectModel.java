package io.distilflux.trainer.complexity;

/**
 * A variational model trained for one λ: its parameters are θ = (μ, ρ) themselves and λ is
 * ignored (the paper's variant (а), and the fine-tuned variants (г), (е)).
 */
public final class DirectModel implements Hypernet {

  private final double[] theta;
  private final int size;

  /** A model starting at μ, ρ (copied). */
  public DirectModel(double[] mu, double[] rho) {
    if (mu.length != rho.length) {
      throw new IllegalArgumentException("μ and ρ differ in length");
    }
    size = mu.length;
    theta = new double[2 * size];
    System.arraycopy(mu, 0, theta, 0, size);
    System.arraycopy(rho, 0, theta, size, size);
  }

  /** A model at G(λ): the start of a fine-tune. */
  public static DirectModel at(Hypernet hypernet, double lambda) {
    double[] mu = new double[hypernet.targetSize()];
    double[] rho = new double[hypernet.targetSize()];
    hypernet.generate(lambda, mu, rho);
    return new DirectModel(mu, rho);
  }

  @Override
  public double[] parameters() {
    return theta;
  }

  @Override
  public int targetSize() {
    return size;
  }

  @Override
  public void generate(double lambda, double[] mu, double[] rho) {
    System.arraycopy(theta, 0, mu, 0, size);
    System.arraycopy(theta, size, rho, 0, size);
  }

  @Override
  public void accumulate(double lambda, double[] gradMu, double[] gradRho, double weight,
      double[] gradient) {
    for (int k = 0; k < size; k++) {
      gradient[k] += weight * gradMu[k];
      gradient[size + k] += weight * gradRho[k];
    }
  }
}
