package io.distilflux.trainer.complexity;

/**
 * How a {@link Hypernet} is trained (docs/complexity.md §3): the minibatch loss
 * (1/S)·Σ_s [mean_B CE(y, f(x, w_s)) + λ_s·KL_s/N], Adam or SGD with momentum, with clipping
 * by value.
 *
 * @param epochs passes over the training set
 * @param batchSize examples per minibatch (B)
 * @param samplesPerBatch λ samples per minibatch (S), their losses averaged into one step
 * @param optimizer the step rule and its rates
 * @param clip gradient clipping by value
 * @param priorVariance s_p², the prior's variance
 * @param lambdas where each sample's λ comes from
 * @param seed seeds the shuffles, the λ samples and the noise
 */
public record TrainingSettings(int epochs, int batchSize, int samplesPerBatch,
    Optimizer optimizer, double clip, double priorVariance, LambdaDistribution lambdas,
    long seed) {

  /** Checks every size and rate. */
  public TrainingSettings {
    if (epochs < 1 || batchSize < 1 || samplesPerBatch < 1) {
      throw new IllegalArgumentException("epochs, batch size and samples per batch must be >= 1");
    }
    java.util.Objects.requireNonNull(optimizer, "optimizer");
    if (!(clip > 0) || !(priorVariance > 0) || !Double.isFinite(clip + priorVariance)) {
      throw new IllegalArgumentException("clip and prior variance must be positive and finite");
    }
    java.util.Objects.requireNonNull(lambdas, "lambdas");
  }

  /** The same settings with other epochs, λ distribution, samples per batch and seed. */
  public TrainingSettings with(int epochs, LambdaDistribution lambdas, int samplesPerBatch,
      long seed) {
    return new TrainingSettings(epochs, batchSize, samplesPerBatch, optimizer, clip,
        priorVariance, lambdas, seed);
  }
}
