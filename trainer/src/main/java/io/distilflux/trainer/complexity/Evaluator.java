package io.distilflux.trainer.complexity;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Evaluation of a variational network: accuracy with its means, the generalised evidence
 * 𝔏(λ) = E_q log p(D | w) − λ·KL(q‖p), pruning by relative density μ²/σ² and the stability
 * S = acc(0 %)/acc(90 % pruned) (docs/complexity.md §1).
 */
public final class Evaluator {

  /** The pruned fractions of a pruning curve: 0, 10, …, 90 %. */
  public static final double[] FRACTIONS = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};

  private static final int CHUNK = 500;

  private final VariationalMlp network;
  private final double priorVariance;

  /** An evaluator of networks of this shape with prior variance s_p². */
  public Evaluator(VariationalMlp network, double priorVariance) {
    this.network = network;
    this.priorVariance = priorVariance;
  }

  /** Fraction of the examples whose largest logit (with the means {@code mu}) is the label. */
  public double accuracy(double[] mu, Examples data) {
    VariationalMlp.Buffers buffers = network.buffers(CHUNK);
    int classes = network.classes();
    int correct = 0;
    for (int from = 0; from < data.count(); from += CHUNK) {
      int rows = Math.min(CHUNK, data.count() - from);
      copy(data, from, rows, buffers.input());
      network.meanForward(mu, buffers, rows);
      double[] logits = buffers.logits();
      for (int r = 0; r < rows; r++) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
          if (logits[r * classes + c] > logits[r * classes + best]) {
            best = c;
          }
        }
        if (best == data.labels()[from + r]) {
          correct++;
        }
      }
    }
    return (double) correct / data.count();
  }

  /** log p(D | w = μ) = −Σ CE over the examples, with the means. */
  public double logLikelihood(double[] mu, Examples data) {
    VariationalMlp.Buffers buffers = network.buffers(CHUNK);
    double sum = 0;
    for (int from = 0; from < data.count(); from += CHUNK) {
      int rows = Math.min(CHUNK, data.count() - from);
      copy(data, from, rows, buffers.input());
      network.meanForward(mu, buffers, rows);
      sum += CrossEntropy.sum(buffers.logits(), data.labels(), from, rows, network.classes());
    }
    return -sum;
  }

  /**
   * An unbiased estimate of E_q log p(D | w) = Σ_i E_q log p(y_i | x_i, w): every example's logits
   * are drawn once through the local reparameterisation, which gives each example's logits exactly
   * their distribution under q (its units' pre-activations are independent Gaussians given the
   * layer below).
   *
   * @param rho ρ = ln σ, the layout of {@code mu}
   * @param random draws the noise ε, one per example and unit
   */
  public double expectedLogLikelihood(double[] mu, double[] rho, Examples data,
      RandomGenerator random) {
    double[] sigma2 = new double[rho.length];
    VariationalMlp.variances(rho, sigma2);
    VariationalMlp.Buffers buffers = network.buffers(CHUNK);
    double sum = 0;
    for (int from = 0; from < data.count(); from += CHUNK) {
      int rows = Math.min(CHUNK, data.count() - from);
      copy(data, from, rows, buffers.input());
      network.drawNoise(buffers, rows, random);
      network.sampledForward(mu, sigma2, buffers, rows);
      sum += CrossEntropy.sum(buffers.logits(), data.labels(), from, rows, network.classes());
    }
    return -sum;
  }

  /**
   * 𝔏(λ) = E_q log p(D | w) − λ·KL(q‖p), larger is better: the paper's eq. 3 (𝔏 = λ·L_w − L_E
   * with L_w = −KL and L_E = E_q log p(D | w) of its eq. 2, the sign of its eqs. 4 and 7), with
   * {@link #expectedLogLikelihood}.
   */
  public double evidence(double[] mu, double[] rho, double lambda, Examples train,
      RandomGenerator random) {
    return expectedLogLikelihood(mu, rho, train, random)
        - lambda * VariationalMlp.kl(mu, rho, priorVariance);
  }

  /**
   * The means with the {@code fraction} of each layer's weights (not biases) of smallest relative
   * density μ²/σ² set to zero (ties broken by index).
   */
  public double[] prune(double[] mu, double[] rho, double fraction) {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException("fraction must be in [0, 1], got " + fraction);
    }
    double[] pruned = mu.clone();
    for (int l = 0; l < network.layers(); l++) {
      int wo = network.weightOffset(l);
      int count = network.weightCount(l);
      int remove = (int) Math.round(fraction * count);
      if (remove == 0) {
        continue;
      }
      double[] density = new double[count];
      for (int k = 0; k < count; k++) {
        // μ²/σ² = μ²·e^{−2ρ}
        density[k] = mu[wo + k] * mu[wo + k] * Math.exp(-2 * rho[wo + k]);
      }
      Integer[] index = new Integer[count];
      for (int k = 0; k < count; k++) {
        index[k] = k;
      }
      Arrays.sort(index, (a, b) -> {
        int c = Double.compare(density[a], density[b]);
        return c != 0 ? c : Integer.compare(a, b);
      });
      for (int k = 0; k < remove; k++) {
        pruned[wo + index[k]] = 0.0;
      }
    }
    return pruned;
  }

  /** Test accuracy at each of the {@link #FRACTIONS}. */
  public double[] pruningCurve(double[] mu, double[] rho, Examples test) {
    double[] curve = new double[FRACTIONS.length];
    for (int k = 0; k < FRACTIONS.length; k++) {
      curve[k] = accuracy(prune(mu, rho, FRACTIONS[k]), test);
    }
    return curve;
  }

  /** S = acc(0 %)/acc(90 %) of a {@link #pruningCurve}. */
  public static double stability(double[] curve) {
    return curve[0] / curve[curve.length - 1];
  }

  private static void copy(Examples data, int from, int rows, double[] input) {
    int width = data.width();
    float[] x = data.features();
    int base = from * width;
    for (int k = 0; k < rows * width; k++) {
      input[k] = x[base + k];
    }
  }
}
