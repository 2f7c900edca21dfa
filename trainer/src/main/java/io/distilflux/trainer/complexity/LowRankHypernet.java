package io.distilflux.trainer.complexity;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The low-rank hypernetwork (the paper's eq. 5, variant (в)): a hidden layer f(λ) = ReLU(u(λ)·a +
 * c) of {@value #HIDDEN} units, shared, and per generated tensor T [r, c] (every layer's weights
 * and biases, for μ and for ρ; a bias is a 1 × c tensor) T = (f U1)ᵀ(f U2) + B1: a rank-1 term
 * that depends on λ plus a λ-independent B1, with U1 [H, r] and U2 [H, c].
 *
 * <p>Parameters: [a (H), c (H), B1 (μ then ρ, flat layout), then per tensor U1, U2 row-major].
 */
public final class LowRankHypernet implements Hypernet {

  /** Width H of the hidden layer f(λ). */
  public static final int HIDDEN = 50;

  private record Tensor(int target, int offset, int rows, int cols, int u1, int u2) {}

  private final double[] phi;
  private final int size;
  private final LambdaInput input;
  private final List<Tensor> tensors = new ArrayList<>();
  private final double[] hidden = new double[HIDDEN];
  private final double[] hiddenGradient = new double[HIDDEN];
  private final double[] left;
  private final double[] right;
  private final double[] leftGradient;
  private final double[] rightGradient;

  /**
   * A hypernetwork whose B1 starts at (μ, ρ), with a ~ N(0, 1), c = 0.1 and U1, U2 ~ N(0, 0.01²)
   * (small, so that G starts near the λ-independent model, not at zero, where the rank-1 term
   * would have no gradient).
   */
  public LowRankHypernet(VariationalMlp shape, double[] mu, double[] rho, LambdaInput input,
      RandomGenerator random) {
    this.size = shape.parameterCount();
    if (mu.length != size || rho.length != size) {
      throw new IllegalArgumentException("μ and ρ must have the network's parameter count");
    }
    this.input = input;
    int at = 2 * HIDDEN + 2 * size;
    int widest = 0;
    for (int target = 0; target < 2; target++) {
      for (int l = 0; l < shape.layers(); l++) {
        int nIn = shape.inputWidth(l);
        int nOut = shape.outputWidth(l);
        int wo = shape.weightOffset(l);
        for (int[] rc : new int[][] {{wo, nIn}, {wo + nIn * nOut, 1}}) {
          Tensor t = new Tensor(target, rc[0], rc[1], nOut, at, at + HIDDEN * rc[1]);
          tensors.add(t);
          at = t.u2() + HIDDEN * nOut;
          widest = Math.max(widest, Math.max(rc[1], nOut));
        }
      }
    }
    this.phi = new double[at];
    left = new double[widest];
    right = new double[widest];
    leftGradient = new double[widest];
    rightGradient = new double[widest];
    for (int h = 0; h < HIDDEN; h++) {
      phi[h] = random.nextGaussian();
      phi[HIDDEN + h] = 0.1;
    }
    System.arraycopy(mu, 0, phi, 2 * HIDDEN, size);
    System.arraycopy(rho, 0, phi, 2 * HIDDEN + size, size);
    for (int k = 2 * HIDDEN + 2 * size; k < at; k++) {
      phi[k] = 0.01 * random.nextGaussian();
    }
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
    hidden(lambda);
    System.arraycopy(phi, 2 * HIDDEN, mu, 0, size);
    System.arraycopy(phi, 2 * HIDDEN + size, rho, 0, size);
    for (Tensor t : tensors) {
      double[] out = t.target() == 0 ? mu : rho;
      project(t.u1(), t.rows(), left);
      project(t.u2(), t.cols(), right);
      for (int i = 0; i < t.rows(); i++) {
        int row = t.offset() + i * t.cols();
        double p = left[i];
        for (int j = 0; j < t.cols(); j++) {
          out[row + j] += p * right[j];
        }
      }
    }
  }

  @Override
  public void accumulate(double lambda, double[] gradMu, double[] gradRho, double weight,
      double[] gradient) {
    double u = input.encode(lambda);
    hidden(lambda);
    java.util.Arrays.fill(hiddenGradient, 0.0);
    for (int k = 0; k < size; k++) {
      gradient[2 * HIDDEN + k] += weight * gradMu[k];
      gradient[2 * HIDDEN + size + k] += weight * gradRho[k];
    }
    for (Tensor t : tensors) {
      double[] g = t.target() == 0 ? gradMu : gradRho;
      project(t.u1(), t.rows(), left);
      project(t.u2(), t.cols(), right);
      // ∂/∂p_i = Σ_j g_ij q_j, ∂/∂q_j = Σ_i g_ij p_i
      java.util.Arrays.fill(rightGradient, 0, t.cols(), 0.0);
      for (int i = 0; i < t.rows(); i++) {
        int row = t.offset() + i * t.cols();
        double s = 0;
        double p = left[i];
        for (int j = 0; j < t.cols(); j++) {
          s += g[row + j] * right[j];
          rightGradient[j] += g[row + j] * p;
        }
        leftGradient[i] = weight * s;
      }
      for (int j = 0; j < t.cols(); j++) {
        rightGradient[j] *= weight;
      }
      backProject(t.u1(), t.rows(), leftGradient, gradient);
      backProject(t.u2(), t.cols(), rightGradient, gradient);
    }
    for (int h = 0; h < HIDDEN; h++) {
      if (hidden[h] > 0) {
        gradient[h] += hiddenGradient[h] * u;
        gradient[HIDDEN + h] += hiddenGradient[h];
      }
    }
  }

  private void hidden(double lambda) {
    double u = input.encode(lambda);
    for (int h = 0; h < HIDDEN; h++) {
      hidden[h] = Math.max(0.0, u * phi[h] + phi[HIDDEN + h]);
    }
  }

  /** out = f·U for U [H, n] at {@code at}. */
  private void project(int at, int n, double[] out) {
    java.util.Arrays.fill(out, 0, n, 0.0);
    for (int h = 0; h < HIDDEN; h++) {
      double f = hidden[h];
      if (f == 0.0) {
        continue;
      }
      int row = at + h * n;
      for (int j = 0; j < n; j++) {
        out[j] += f * phi[row + j];
      }
    }
  }

  /** Given ∂/∂(f·U) = d: ∂U += fᵀd into {@code gradient}, ∂f += U·d into the hidden gradient. */
  private void backProject(int at, int n, double[] d, double[] gradient) {
    for (int h = 0; h < HIDDEN; h++) {
      int row = at + h * n;
      double f = hidden[h];
      double s = 0;
      for (int j = 0; j < n; j++) {
        gradient[row + j] += f * d[j];
        s += phi[row + j] * d[j];
      }
      hiddenGradient[h] += s;
    }
  }
}
