package io.distilflux.trainer.structure;

import java.util.ArrayList;
import java.util.List;

/**
 * The enumeration term of the structure logits' outer objective (docs/structure.md §7): the
 * outer objective Q = E log p − c_comb·Σ_{p′∈P} KL(q_Γ‖p′) is maximised, so the validation loss
 * that the search minimises gains c_comb·Σ_{p′∈P} min(KL(q_Γ‖p′), clip). P holds the structure
 * distributions earlier searches found; c_comb &lt; 0 repels the search from them, and the clip
 * stops a distribution already far from p′ from being pushed further.
 *
 * <p>Our choice of KL: the KL between the categorical distributions softmax(log α) of each edge,
 * summed over the edges. That is the KL between the distributions of the discrete structure the
 * argmax of a Gumbel-softmax sample picks (the Gumbel-max property), the same for every
 * temperature c, in closed form and with an exact gradient: per edge, with q = softmax(log α),
 * dKL/d(log α_j) = q_j·(log q_j − log p′_j − KL). It is the c → 0 end of the KL between the
 * relaxed distributions, which would need a Monte Carlo estimate and its noise.
 */
public final class EnumerationTerm {

  /** c_comb of an enumeration: repulsion from the structures found. */
  public static final double REPULSION = -1;
  /** The clip of each KL. */
  public static final double CLIP = 10;

  private final Supernet net;
  private final List<double[]> found;
  private final double weight;
  private final double clip;

  /**
   * @param net the supernet whose edges the logits describe
   * @param found the logits log α of each distribution in P, flat like the supernet's
   * @param weight c_comb
   * @param clip the largest KL counted per distribution in P (positive)
   */
  public EnumerationTerm(Supernet net, List<double[]> found, double weight, double clip) {
    if (!Double.isFinite(weight) || !(clip > 0)) {
      throw new IllegalArgumentException("c_comb must be finite and the clip positive, got "
          + weight + " and " + clip);
    }
    List<double[]> copies = new ArrayList<>();
    for (double[] logAlpha : found) {
      requireSize(net, logAlpha);
      copies.add(logAlpha.clone());
    }
    this.net = net;
    this.found = List.copyOf(copies);
    this.weight = weight;
    this.clip = clip;
  }

  /** The enumeration's term: repulsion (c_comb = −1) from {@code found}, each KL clipped at 10. */
  public static EnumerationTerm repulsion(Supernet net, List<double[]> found) {
    return new EnumerationTerm(net, found, REPULSION, CLIP);
  }

  /** How many distributions P holds. */
  public int size() {
    return found.size();
  }

  /** KL(q‖p) summed over the edges, q = softmax(log α) and p = softmax(log α′) per edge. */
  public static double kl(Supernet net, double[] logAlpha, double[] other) {
    return klAndGradient(net, logAlpha, other, null);
  }

  /** The term's value c_comb·Σ_{p′∈P} min(KL(q‖p′), clip), added to the validation loss. */
  public double value(double[] logAlpha) {
    requireSize(net, logAlpha);
    double sum = 0;
    for (double[] other : found) {
      sum += Math.min(kl(net, logAlpha, other), clip);
    }
    return weight * sum;
  }

  /** Adds the term's gradient with respect to log α to {@code out}. */
  public void addGradient(double[] logAlpha, double[] out) {
    requireSize(net, logAlpha);
    double[] gradient = new double[logAlpha.length];
    for (double[] other : found) {
      // a clipped KL is constant in log α: no push
      if (klAndGradient(net, logAlpha, other, gradient) < clip) {
        for (int j = 0; j < out.length; j++) {
          out[j] += weight * gradient[j];
        }
      }
    }
  }

  /** The KL, and its gradient into {@code gradient} when not null. */
  private static double klAndGradient(Supernet net, double[] logAlpha, double[] other,
      double[] gradient) {
    double total = 0;
    for (int e = 0; e < Supernet.EDGES; e++) {
      int at = net.offset(e);
      int k = net.choices(e);
      double[] logQ = logSoftmax(logAlpha, at, k);
      double[] logP = logSoftmax(other, at, k);
      double kl = 0;
      for (int h = 0; h < k; h++) {
        kl += Math.exp(logQ[h]) * (logQ[h] - logP[h]);
      }
      if (gradient != null) {
        for (int h = 0; h < k; h++) {
          gradient[at + h] = Math.exp(logQ[h]) * (logQ[h] - logP[h] - kl);
        }
      }
      total += kl;
    }
    return total;
  }

  private static double[] logSoftmax(double[] v, int from, int k) {
    double max = Double.NEGATIVE_INFINITY;
    for (int h = 0; h < k; h++) {
      max = Math.max(max, v[from + h]);
    }
    double sum = 0;
    for (int h = 0; h < k; h++) {
      sum += Math.exp(v[from + h] - max);
    }
    double log = max + Math.log(sum);
    double[] out = new double[k];
    for (int h = 0; h < k; h++) {
      out[h] = v[from + h] - log;
    }
    return out;
  }

  private static void requireSize(Supernet net, double[] logAlpha) {
    if (logAlpha.length != net.structureSize()) {
      throw new IllegalArgumentException("the supernet has " + net.structureSize()
          + " structure logits, got " + logAlpha.length);
    }
  }
}
