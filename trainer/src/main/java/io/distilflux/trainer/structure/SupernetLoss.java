package io.distilflux.trainer.structure;

import io.distilflux.trainer.complexity.CrossEntropy;
import io.distilflux.trainer.complexity.Examples;
import java.util.random.RandomGenerator;

/**
 * The mean cross-entropy of a {@link Supernet} on a batch as a function of its weights w and its
 * structure logits log α, the Gumbel noise G and the temperature c held fixed: γ_e =
 * softmax((log α_e + G_e)/c) per edge. Returns the loss and both gradients; the structure
 * logits' gradient goes through the relaxed weights ({@link GumbelSoftmax#backward}).
 */
public final class SupernetLoss {

  private final Supernet net;
  private final Supernet.Buffers buffers;
  private final double[] gradLogits;
  private final double[] gradGamma;

  /** A loss of batches of up to {@code capacity} examples. */
  public SupernetLoss(Supernet net, int capacity) {
    this.net = net;
    this.buffers = net.buffers(capacity);
    this.gradLogits = new double[capacity * net.classes()];
    this.gradGamma = new double[net.structureSize()];
  }

  /** The supernet. */
  public Supernet net() {
    return net;
  }

  /** γ of every edge for logits log α, noise G and temperature c (flat like log α). */
  public static double[] gamma(Supernet net, double[] logAlpha, double[] noise,
      double temperature) {
    double[] gamma = new double[net.structureSize()];
    for (int e = 0; e < Supernet.EDGES; e++) {
      int k = net.choices(e);
      int at = net.offset(e);
      double[] edge = GumbelSoftmax.relaxed(slice(logAlpha, at, k), slice(noise, at, k),
          temperature);
      System.arraycopy(edge, 0, gamma, at, k);
    }
    return gamma;
  }

  /** Fresh Gumbel noise for every edge, flat like log α. */
  public static double[] noise(Supernet net, RandomGenerator random) {
    return GumbelSoftmax.gumbel(net.structureSize(), random);
  }

  /**
   * The mean cross-entropy of examples {@code order[from … from + rows)}; writes dL/dw into
   * {@code gradW} and dL/d(log α) into {@code gradLogAlpha} (either may be null to skip it).
   */
  public double evaluate(double[] w, double[] logAlpha, double[] noise, double temperature,
      Examples data, int[] order, int from, int rows, double[] gradW, double[] gradLogAlpha) {
    double[] gamma = gamma(net, logAlpha, noise, temperature);
    double loss = forward(w, gamma, data, order, from, rows);
    if (gradW == null && gradLogAlpha == null) {
      return loss;
    }
    // without gradW only dL/dγ is needed, which skips the first layer's weight gradients
    net.backward(w, gamma, buffers, rows, gradLogits, gradW, gradGamma);
    if (gradLogAlpha != null) {
      for (int e = 0; e < Supernet.EDGES; e++) {
        int k = net.choices(e);
        int at = net.offset(e);
        double[] edge = new double[k];
        GumbelSoftmax.backward(slice(logAlpha, at, k), slice(noise, at, k), temperature,
            slice(gradGamma, at, k), edge);
        System.arraycopy(edge, 0, gradLogAlpha, at, k);
      }
    }
    return loss;
  }

  /** The mean cross-entropy at given structure weights γ; leaves dL/dlogits for backward. */
  double forward(double[] w, double[] gamma, Examples data, int[] order, int from, int rows) {
    data.copyRows(order, from, rows, buffers.input());
    net.forward(w, gamma, buffers, rows);
    return CrossEntropy.meanAndGradient(buffers.logits(), data.labels(), order, from, rows,
        net.classes(), gradLogits);
  }

  /** The logits of the last evaluation [rows, classes]. */
  double[] logits() {
    return buffers.logits();
  }

  static double[] slice(double[] v, int from, int length) {
    double[] s = new double[length];
    System.arraycopy(v, from, s, 0, length);
    return s;
  }
}
