package io.distilflux.trainer.structure;

import io.distilflux.trainer.complexity.CrossEntropy;
import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.VariationalMlp;
import java.util.Arrays;

/**
 * The negative log-likelihood of a network used deterministically (its weights are the means
 * μ): the mean cross-entropy over a set of examples and its gradient, in chunks so that any
 * number of examples fits in fixed buffers.
 */
public final class MeanLoss {

  private static final int CHUNK = 500;

  private final VariationalMlp network;
  private final Examples data;
  private final int[] order;

  /** The loss of {@code network} on {@code data}. */
  public MeanLoss(VariationalMlp network, Examples data) {
    if (data.width() != network.inputWidth(0) || data.classes() != network.classes()) {
      throw new IllegalArgumentException("network and data disagree in size");
    }
    this.network = network;
    this.data = data;
    this.order = new int[data.count()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
  }

  /** Mean CE over the examples at weights {@code w}; writes ∇ into {@code gradient}. */
  public double valueAndGradient(double[] w, double[] gradient) {
    int rows = Math.min(CHUNK, data.count());
    VariationalMlp.Buffers buffers = network.buffers(rows);
    double[] logitGradient = new double[rows * network.classes()];
    double[] chunkGradient = new double[w.length];
    Arrays.fill(gradient, 0.0);
    double sum = 0;
    for (int from = 0; from < data.count(); from += rows) {
      int r = Math.min(rows, data.count() - from);
      data.copyRows(order, from, r, buffers.input());
      network.meanForward(w, buffers, r);
      double mean = CrossEntropy.meanAndGradient(buffers.logits(), data.labels(), order, from,
          r, network.classes(), logitGradient);
      network.meanBackward(w, buffers, r, logitGradient, chunkGradient);
      // the chunk's mean weighs r/N in the mean over all examples
      double weight = (double) r / data.count();
      sum += weight * mean;
      for (int k = 0; k < w.length; k++) {
        gradient[k] += weight * chunkGradient[k];
      }
    }
    return sum;
  }

  /**
   * The empirical Fisher's diagonal at {@code w}: the mean over the examples of the squared
   * per-example gradient, (1/N)·Σ_n (∇CE_n)². A positive stand-in for the Hessian's diagonal.
   */
  public double[] empiricalFisherDiagonal(double[] w) {
    VariationalMlp.Buffers buffers = network.buffers(1);
    double[] logitGradient = new double[network.classes()];
    double[] g = new double[w.length];
    double[] fisher = new double[w.length];
    for (int e = 0; e < data.count(); e++) {
      data.copyRows(order, e, 1, buffers.input());
      network.meanForward(w, buffers, 1);
      CrossEntropy.meanAndGradient(buffers.logits(), data.labels(), order, e, 1,
          network.classes(), logitGradient);
      network.meanBackward(w, buffers, 1, logitGradient, g);
      for (int k = 0; k < w.length; k++) {
        fisher[k] += g[k] * g[k] / data.count();
      }
    }
    return fisher;
  }

  /** ∇ of the mean CE at {@code w}, a fresh array. */
  public double[] gradient(double[] w) {
    double[] g = new double[w.length];
    valueAndGradient(w, g);
    return g;
  }

  /** The mean CE at {@code w}. */
  public double value(double[] w) {
    return valueAndGradient(w, new double[w.length]);
  }
}
