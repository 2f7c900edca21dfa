package io.distilflux.trainer.complexity;

import java.util.SplittableRandom;

/**
 * Trains a {@link Hypernet} (a direct model or a hypernetwork) on labelled examples with the
 * settings' loss: per minibatch S values λ_s are drawn, each generates θ = G(λ_s), draws its own
 * noise and adds (1/S)·∇[mean CE + λ_s·KL/N]; then one clipped optimizer step (Adam or SGD with momentum).
 */
public final class VariationalTrainer {

  /**
   * What a training did.
   *
   * @param steps optimizer steps
   * @param updates Σ over steps of the trainable scalars (the paper's update count)
   * @param meanLoss the mean minibatch loss of the last epoch
   * @param seconds wall time
   */
  public record Outcome(long steps, long updates, double meanLoss, double seconds) {}

  private final VariationalMlp network;
  private final TrainingSettings settings;

  /** A trainer of networks of this shape with these settings. */
  public VariationalTrainer(VariationalMlp network, TrainingSettings settings) {
    this.network = network;
    this.settings = settings;
  }

  /** Trains {@code model} in place on {@code train}. */
  public Outcome train(Hypernet model, Examples train) {
    if (model.targetSize() != network.parameterCount() || train.width() != network.inputWidth(0)
        || train.classes() != network.classes()) {
      throw new IllegalArgumentException("model, network and data disagree in size");
    }
    long start = System.nanoTime();
    SplittableRandom random = new SplittableRandom(settings.seed());
    int n = train.count();
    int b = Math.min(settings.batchSize(), n);
    int p = network.parameterCount();
    double[] phi = model.parameters();
    double[] gradient = new double[phi.length];
    double[] mu = new double[p];
    double[] rho = new double[p];
    double[] sigma2 = new double[p];
    double[] gradMu = new double[p];
    double[] gradSigma2 = new double[p];
    double[] gradRho = new double[p];
    double[] logitGradient = new double[b * network.classes()];
    VariationalMlp.Buffers buffers = network.buffers(b);
    GradientStep optimizer = settings.optimizer().create(phi.length, settings.clip());
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    long steps = 0;
    double lossSum = 0;
    int lossCount = 0;
    double weight = 1.0 / settings.samplesPerBatch();
    for (int epoch = 0; epoch < settings.epochs(); epoch++) {
      shuffle(order, random);
      lossSum = 0;
      lossCount = 0;
      for (int from = 0; from < n; from += b) {
        int rows = Math.min(b, n - from);
        train.copyRows(order, from, rows, buffers.input());
        java.util.Arrays.fill(gradient, 0.0);
        double loss = 0;
        for (int s = 0; s < settings.samplesPerBatch(); s++) {
          double lambda = settings.lambdas().sample(random);
          model.generate(lambda, mu, rho);
          VariationalMlp.variances(rho, sigma2);
          network.drawNoise(buffers, rows, random);
          network.sampledForward(mu, sigma2, buffers, rows);
          loss += CrossEntropy.meanAndGradient(buffers.logits(), train.labels(), order, from,
              rows, network.classes(), logitGradient);
          network.backward(mu, sigma2, buffers, rows, logitGradient, gradMu, gradSigma2);
          for (int k = 0; k < p; k++) {
            gradRho[k] = gradSigma2[k] * 2 * sigma2[k];
          }
          double scale = lambda / n;
          VariationalMlp.addKlGradient(mu, rho, settings.priorVariance(), scale, gradMu, gradRho);
          loss += scale * VariationalMlp.kl(mu, rho, settings.priorVariance());
          model.accumulate(lambda, gradMu, gradRho, weight, gradient);
        }
        optimizer.step(phi, gradient);
        steps++;
        lossSum += loss * weight;
        lossCount++;
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Outcome(steps, steps * phi.length, lossSum / lossCount, seconds);
  }

  private static void shuffle(int[] order, SplittableRandom random) {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
}
