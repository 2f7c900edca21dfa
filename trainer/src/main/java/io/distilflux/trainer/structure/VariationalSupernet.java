package io.distilflux.trainer.structure;

import io.distilflux.trainer.complexity.VariationalMlp;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Variational weights for a {@link Supernet} (docs/structure.md §7, the spec's run (i)): q_W =
 * N(μ, σ²), σ = e^ρ, entry by entry in the supernet's flat layout, and a prior N(0, A_l⁻¹) with
 * one precision A_l per dense layer ({@link Supernet#layers}).
 *
 * <p>The weights are sampled as w = μ + σ⊙ε, one ε ~ N(0, I) per step shared by the batch (the
 * plain reparameterisation, so that the supernet's own forward and backward serve unchanged);
 * evaluation uses the means.
 *
 * <p>Our choice of the structure's KL: a block's weights only matter through its structure
 * weight, so each block's KL(q‖p) is weighted by the probability of its block under the
 * categorical structure distribution q = softmax(log α) of its edge: KL_struct = Σ_e Σ_b
 * q_eb·KL_b, the KL expected over the discrete structure. Its gradient in the logits is exact:
 * ∂KL_struct/∂(log α_j) = q_j·(KL_j − Σ_b q_b·KL_b) on j's edge. The precisions are the closed
 * form A_l = n_l / Σ_l(μ² + σ²), the minimiser of KL_l over A_l; at that minimum the KL's
 * gradient in μ and ρ with A held fixed is its total gradient (the envelope theorem).
 *
 * <p>The KL of a layer is {@link VariationalMlp#kl} with the prior variance s_p² = 1/A_l.
 */
public final class VariationalSupernet {

  /** ρ at the start of a search, as the complexity package's networks start. */
  public static final double INITIAL_RHO = -3;

  private final Supernet net;
  private final List<Supernet.Layer> layers;

  /** Variational weights for this supernet. */
  public VariationalSupernet(Supernet net) {
    this.net = net;
    this.layers = net.layers();
  }

  /** The supernet. */
  public Supernet net() {
    return net;
  }

  /** The supernet's dense layers, each with its own precision. */
  public List<Supernet.Layer> layers() {
    return layers;
  }

  /** The means as the deterministic supernet's weights start (Glorot), ρ = −3. */
  public void initialise(double[] mu, double[] rho, RandomGenerator random) {
    net.initialise(mu, random);
    Arrays.fill(rho, INITIAL_RHO);
  }

  /** w = μ + e^ρ⊙ε into {@code w}. */
  public static void sample(double[] mu, double[] rho, double[] eps, double[] w) {
    for (int k = 0; k < w.length; k++) {
      w[k] = mu[k] + Math.exp(rho[k]) * eps[k];
    }
  }

  /**
   * dL/dρ = dL/dw⊙ε⊙e^ρ of a loss of the sample w = μ + e^ρ⊙ε into {@code gradRho}; dL/dμ is
   * dL/dw itself.
   */
  public static void sampleGradient(double[] gradW, double[] rho, double[] eps,
      double[] gradRho) {
    for (int k = 0; k < gradW.length; k++) {
      gradRho[k] = gradW[k] * eps[k] * Math.exp(rho[k]);
    }
  }

  /** Per layer the prior variance 1/A_l = Σ_l(μ² + σ²)/n_l that minimises the layer's KL. */
  public double[] optimalPriorVariances(double[] mu, double[] rho) {
    double[] variances = new double[layers.size()];
    for (int l = 0; l < variances.length; l++) {
      Supernet.Layer layer = layers.get(l);
      double sum = 0;
      for (int k = layer.from(); k < layer.to(); k++) {
        sum += mu[k] * mu[k] + Math.exp(2 * rho[k]);
      }
      variances[l] = sum / layer.size();
    }
    return variances;
  }

  /** KL(q‖p) of each block (the sum over its layers), flat like the structure logits. */
  public double[] blockKl(double[] mu, double[] rho, double[] priorVariances) {
    requireLayers(priorVariances);
    double[] kl = new double[net.structureSize()];
    for (int l = 0; l < priorVariances.length; l++) {
      Supernet.Layer layer = layers.get(l);
      kl[net.offset(layer.edge()) + layer.block()] += VariationalMlp.kl(mu, rho,
          priorVariances[l], layer.from(), layer.to());
    }
    return kl;
  }

  /** q = softmax(log α) per edge, flat like the logits. */
  public double[] structureDistribution(double[] logAlpha) {
    return SupernetLoss.gamma(net, logAlpha, new double[net.structureSize()], 1);
  }

  /** KL_struct = Σ_e Σ_b q_eb·KL_b. */
  public double expectedKl(double[] logAlpha, double[] blockKl) {
    double[] q = structureDistribution(logAlpha);
    double sum = 0;
    for (int j = 0; j < q.length; j++) {
      sum += q[j] * blockKl[j];
    }
    return sum;
  }

  /** Adds {@code scale}·∂KL_struct/∂(log α) to {@code out}. */
  public void addLogitGradient(double[] logAlpha, double[] blockKl, double scale,
      double[] out) {
    double[] q = structureDistribution(logAlpha);
    for (int e = 0; e < Supernet.EDGES; e++) {
      int at = net.offset(e);
      double mean = 0;
      for (int h = 0; h < net.choices(e); h++) {
        mean += q[at + h] * blockKl[at + h];
      }
      for (int h = 0; h < net.choices(e); h++) {
        out[at + h] += scale * q[at + h] * (blockKl[at + h] - mean);
      }
    }
  }

  /** Adds {@code scale}·∇KL_struct in μ and ρ, the precisions held fixed, to the gradients. */
  public void addWeightGradient(double[] logAlpha, double[] mu, double[] rho,
      double[] priorVariances, double scale, double[] gradMu, double[] gradRho) {
    requireLayers(priorVariances);
    double[] q = structureDistribution(logAlpha);
    for (int l = 0; l < priorVariances.length; l++) {
      Supernet.Layer layer = layers.get(l);
      VariationalMlp.addKlGradient(mu, rho, priorVariances[l],
          scale * q[net.offset(layer.edge()) + layer.block()], gradMu, gradRho, layer.from(),
          layer.to());
    }
  }

  /** The hidden width expected under q: Σ_h q_0h·width_h. */
  public double expectedWidth(double[] logAlpha) {
    double[] q = structureDistribution(logAlpha);
    int[] widths = net.widths();
    double sum = 0;
    for (int h = 0; h < widths.length; h++) {
      sum += q[h] * widths[h];
    }
    return sum;
  }

  private void requireLayers(double[] priorVariances) {
    if (priorVariances.length != layers.size()) {
      throw new IllegalArgumentException("the supernet has " + layers.size()
          + " layers, got " + priorVariances.length + " prior variances");
    }
  }
}
