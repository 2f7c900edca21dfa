package io.distilflux.trainer.structure;

import java.util.random.RandomGenerator;

/**
 * The Gumbel-softmax (concrete) relaxation of a choice among K alternatives (docs/structure.md
 * §6), the mixing weights γ of a supernet edge: γ_h = softmax_h((log α_h + G_h)/c) with Gumbel
 * noise G_h = −log(−log U_h), U_h ~ U(0, 1), structure logits log α and temperature c > 0. As
 * c → 0 the samples approach the simplex's vertices, and whatever c, the largest γ_h falls on h
 * with probability α_h/Σα (the Gumbel-max property). With the noise held fixed, γ is a smooth
 * function of log α and c, which {@link #backward} differentiates.
 */
public final class GumbelSoftmax {

  /** The temperature c at the start of an annealed search (the protocol's 1 → 0.1). */
  public static final double FIRST_TEMPERATURE = 1.0;
  /** The temperature c at the end of an annealed search. */
  public static final double LAST_TEMPERATURE = 0.1;

  private GumbelSoftmax() {}

  /** K Gumbel draws −log(−log U), U ~ U(0, 1) kept away from 0 so that the logs stay finite. */
  public static double[] gumbel(int k, RandomGenerator random) {
    if (k < 1) {
      throw new IllegalArgumentException("K must be >= 1, got " + k);
    }
    double[] g = new double[k];
    for (int h = 0; h < k; h++) {
      double u = random.nextDouble();
      while (u == 0.0) {
        u = random.nextDouble();
      }
      g[h] = -Math.log(-Math.log(u));
    }
    return g;
  }

  /** γ = softmax((log α + G)/c) for given noise G. */
  public static double[] relaxed(double[] logAlpha, double[] gumbel, double temperature) {
    check(logAlpha, temperature);
    if (gumbel.length != logAlpha.length) {
      throw new IllegalArgumentException("noise and logits differ in length");
    }
    double[] s = new double[logAlpha.length];
    for (int h = 0; h < s.length; h++) {
      s[h] = (logAlpha[h] + gumbel[h]) / temperature;
    }
    return softmax(s);
  }

  /** One sample γ with fresh noise. */
  public static double[] sample(double[] logAlpha, double temperature, RandomGenerator random) {
    return relaxed(logAlpha, gumbel(logAlpha.length, random), temperature);
  }

  /**
   * The gradient of a loss L(γ) with respect to the logits and the temperature, the noise held
   * fixed, given dL/dγ. With s = (log α + G)/c and γ = softmax(s):
   * dL/ds_h = γ_h(dL/dγ_h − Σ_k γ_k dL/dγ_k), dL/d(log α_h) = (dL/ds_h)/c and
   * dL/dc = −Σ_h (dL/ds_h)·s_h/c.
   *
   * @param gradLogAlpha receives dL/d(log α)
   * @return dL/dc
   */
  public static double backward(double[] logAlpha, double[] gumbel, double temperature,
      double[] gradGamma, double[] gradLogAlpha) {
    double[] gamma = relaxed(logAlpha, gumbel, temperature);
    double mean = 0;
    for (int h = 0; h < gamma.length; h++) {
      mean += gamma[h] * gradGamma[h];
    }
    double gradTemperature = 0;
    for (int h = 0; h < gamma.length; h++) {
      double ds = gamma[h] * (gradGamma[h] - mean);
      gradLogAlpha[h] = ds / temperature;
      double s = (logAlpha[h] + gumbel[h]) / temperature;
      gradTemperature -= ds * s / temperature;
    }
    return gradTemperature;
  }

  /**
   * log p(γ) of the Gumbel-softmax distribution with respect to the Lebesgue measure of γ's
   * first K − 1 coordinates: p(γ) = (K−1)!·c^{K−1}·Π_h [α_h γ_h^{−c−1} / Σ_l α_l γ_l^{−c}].
   */
  public static double logDensity(double[] gamma, double[] logAlpha, double temperature) {
    check(logAlpha, temperature);
    int k = logAlpha.length;
    if (gamma.length != k) {
      throw new IllegalArgumentException("γ and logits differ in length");
    }
    // log Σ_l α_l γ_l^{−c}, stably
    double[] terms = new double[k];
    double max = Double.NEGATIVE_INFINITY;
    for (int l = 0; l < k; l++) {
      terms[l] = logAlpha[l] - temperature * Math.log(gamma[l]);
      max = Math.max(max, terms[l]);
    }
    double sum = 0;
    for (double t : terms) {
      sum += Math.exp(t - max);
    }
    double logNormaliser = max + Math.log(sum);
    double log = (k - 1) * Math.log(temperature);
    for (int j = 2; j < k; j++) {
      log += Math.log(j);
    }
    for (int h = 0; h < k; h++) {
      log += logAlpha[h] - (temperature + 1) * Math.log(gamma[h]) - logNormaliser;
    }
    return log;
  }

  /** The discrete choice at the end of training: the index of the largest logit. */
  public static int argmax(double[] logAlpha) {
    int best = 0;
    for (int h = 1; h < logAlpha.length; h++) {
      if (logAlpha[h] > logAlpha[best]) {
        best = h;
      }
    }
    return best;
  }

  /**
   * The temperature annealed geometrically from {@code from} at step 0 to {@code to} at step
   * {@code steps}: c_t = from·(to/from)^{t/steps}.
   */
  public static double annealed(double from, double to, long step, long steps) {
    if (!(from > 0) || !(to > 0) || steps < 1 || step < 0 || step > steps) {
      throw new IllegalArgumentException("temperatures must be positive and 0 <= step <= steps");
    }
    return from * Math.pow(to / from, (double) step / steps);
  }

  private static double[] softmax(double[] s) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : s) {
      max = Math.max(max, v);
    }
    double z = 0;
    double[] p = new double[s.length];
    for (int h = 0; h < s.length; h++) {
      p[h] = Math.exp(s[h] - max);
      z += p[h];
    }
    for (int h = 0; h < s.length; h++) {
      p[h] /= z;
    }
    return p;
  }

  private static void check(double[] logAlpha, double temperature) {
    if (logAlpha.length < 1) {
      throw new IllegalArgumentException("at least one alternative is needed");
    }
    if (!(temperature > 0) || !Double.isFinite(temperature)) {
      throw new IllegalArgumentException("temperature must be positive and finite, got "
          + temperature);
    }
  }
}
