package io.distilflux.trainer.structure;

import java.util.random.RandomGenerator;

/**
 * Hutchinson's estimate of a Hessian's diagonal from gradients only: for a Rademacher probe z
 * (entries ±1), E[z ⊙ Hz] = diag H, and Hz is taken by a central difference of the gradient,
 * Hz ≈ (∇L(w + εz) − ∇L(w − εz))/2ε. The estimate is the mean over the probes.
 */
public final class HessianDiagonal {

  /** The gradient of a loss at a parameter vector (a fresh array, the length of the input). */
  @FunctionalInterface
  public interface Gradient {
    /** ∇L(w). */
    double[] at(double[] w);
  }

  private HessianDiagonal() {}

  /**
   * diag H ≈ (1/S)·Σ_s z_s ⊙ (∇L(w + εz_s) − ∇L(w − εz_s))/2ε.
   *
   * @param gradient ∇L
   * @param w where the Hessian is taken (not modified)
   * @param probes S, at least 1
   * @param epsilon ε of the central difference, positive
   * @param random draws the probes
   */
  public static double[] hutchinson(Gradient gradient, double[] w, int probes, double epsilon,
      RandomGenerator random) {
    if (probes < 1) {
      throw new IllegalArgumentException("probes must be >= 1, got " + probes);
    }
    if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be positive and finite, got " + epsilon);
    }
    int n = w.length;
    double[] sum = new double[n];
    double[] z = new double[n];
    for (int s = 0; s < probes; s++) {
      for (int k = 0; k < n; k++) {
        z[k] = random.nextBoolean() ? 1.0 : -1.0;
      }
      double[] hz = product(gradient, w, z, epsilon);
      for (int k = 0; k < n; k++) {
        sum[k] += z[k] * hz[k];
      }
    }
    for (int k = 0; k < n; k++) {
      sum[k] /= probes;
    }
    return sum;
  }

  /** Hz ≈ (∇L(w + εz) − ∇L(w − εz))/2ε. */
  static double[] product(Gradient gradient, double[] w, double[] z, double epsilon) {
    int n = w.length;
    double[] shifted = new double[n];
    for (int k = 0; k < n; k++) {
      shifted[k] = w[k] + epsilon * z[k];
    }
    double[] plus = gradient.at(shifted);
    for (int k = 0; k < n; k++) {
      shifted[k] = w[k] - epsilon * z[k];
    }
    double[] minus = gradient.at(shifted);
    double[] hz = new double[n];
    for (int k = 0; k < n; k++) {
      hz[k] = (plus[k] - minus[k]) / (2 * epsilon);
    }
    return hz;
  }
}
