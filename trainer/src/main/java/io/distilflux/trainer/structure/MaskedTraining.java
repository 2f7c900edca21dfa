package io.distilflux.trainer.structure;

import io.distilflux.trainer.complexity.Adam;
import io.distilflux.trainer.complexity.CrossEntropy;
import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.VariationalMlp;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Trains a deterministic network (a {@link VariationalMlp} used with its means only) by Adam on
 * the minibatch mean cross-entropy, with an optional freezing mask α on the update
 * (w ← w − α ⊙ Δ) and an optional {@link GradientNoise} fed with each step's first-example and
 * batch gradients.
 */
public final class MaskedTraining {

  /**
   * What a training did.
   *
   * @param steps optimizer steps
   * @param updates Σ over steps of the scalars that moved (the trainable ones)
   * @param seconds wall time
   */
  public record Outcome(long steps, long updates, double seconds) {}

  private final VariationalMlp network;
  private final int batchSize;

  /** Training of networks of this shape with minibatches of {@code batchSize} examples. */
  public MaskedTraining(VariationalMlp network, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
    this.network = network;
    this.batchSize = batchSize;
  }

  /**
   * {@code epochs} passes over {@code data}, updating {@code w} in place.
   *
   * @param adam the optimizer (its state carries over between calls)
   * @param alpha the freezing mask, 1 trained and 0 frozen; null trains every parameter
   * @param noise fed with every step's gradients; null to skip the extra example gradient
   * @param random shuffles the examples
   */
  public Outcome train(double[] w, Adam adam, Examples data, int epochs, double[] alpha,
      GradientNoise noise, SplittableRandom random) {
    if (w.length != network.parameterCount() || data.width() != network.inputWidth(0)
        || data.classes() != network.classes()) {
      throw new IllegalArgumentException("weights, network and data disagree in size");
    }
    long start = System.nanoTime();
    int n = data.count();
    int b = Math.min(batchSize, n);
    int classes = network.classes();
    VariationalMlp.Buffers buffers = network.buffers(b);
    VariationalMlp.Buffers single = network.buffers(1);
    double[] logitGradient = new double[b * classes];
    double[] singleLogitGradient = new double[classes];
    double[] gradient = new double[w.length];
    double[] first = new double[w.length];
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    long trainable = alpha == null ? w.length : Math.round(Arrays.stream(alpha).sum());
    long steps = 0;
    for (int epoch = 0; epoch < epochs; epoch++) {
      RandomPruning.shuffle(order, random);
      for (int from = 0; from < n; from += b) {
        int rows = Math.min(b, n - from);
        data.copyRows(order, from, rows, buffers.input());
        network.meanForward(w, buffers, rows);
        CrossEntropy.meanAndGradient(buffers.logits(), data.labels(), order, from, rows, classes,
            logitGradient);
        network.meanBackward(w, buffers, rows, logitGradient, gradient);
        if (noise != null) {
          data.copyRows(order, from, 1, single.input());
          network.meanForward(w, single, 1);
          CrossEntropy.meanAndGradient(single.logits(), data.labels(), order, from, 1, classes,
              singleLogitGradient);
          network.meanBackward(w, single, 1, singleLogitGradient, first);
          noise.update(first, gradient);
        }
        adam.step(w, gradient, alpha);
        steps++;
      }
    }
    return new Outcome(steps, steps * trainable, (System.nanoTime() - start) / 1e9);
  }
}
