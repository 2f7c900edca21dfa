package io.distilflux.trainer.complexity;

import java.util.List;
import java.util.Set;

/**
 * The settings of {@code experiment complexity} (docs/complexity.md §3): which
 * variants, at which λ, trained how long.
 *
 * @param lambdas the evaluated complexity weights, each > 0
 * @param hidden hidden units of the 784→hidden→10 network
 * @param directEpochs epochs of each direct model (а)
 * @param hyperEpochs epochs of each hypernetwork (в), (д)
 * @param fineTuneEpochs epochs of each fine-tune (г), (е)
 * @param samplesPerBatch λ samples per minibatch of the linear hypernetwork (the low-rank one
 *     takes one, as in the paper)
 * @param batchSize examples per minibatch
 * @param optimizer the step rule of every training (Adam in the small protocol, SGD in the
 *     paper)
 * @param priorVariance s_p²
 * @param input how the hypernetworks see λ
 * @param variants the variants to train
 * @param seed seeds the initialisation, shuffles, λ samples and noise
 */
public record ComplexityProtocol(List<Double> lambdas, int hidden, int directEpochs,
    int hyperEpochs, int fineTuneEpochs, int samplesPerBatch, int batchSize,
    Optimizer optimizer, double priorVariance, LambdaInput input, Set<Variant> variants,
    long seed) {

  /** Gradient clipping by value [ref]. */
  public static final double CLIP = 1.0;
  /** The hypernetworks' training range of log₁₀λ. */
  public static final LambdaDistribution RANGE = new LambdaDistribution.LogUniform(-1, 2);

  /** Checks the sizes and copies the collections. */
  public ComplexityProtocol {
    lambdas = List.copyOf(lambdas);
    variants = Set.copyOf(variants);
    java.util.Objects.requireNonNull(optimizer, "optimizer");
    if (lambdas.isEmpty() || variants.isEmpty()) {
      throw new IllegalArgumentException("at least one λ and one variant are needed");
    }
    for (double lambda : lambdas) {
      new LambdaDistribution.Fixed(lambda);
    }
    if (hidden < 1 || directEpochs < 1 || hyperEpochs < 1 || fineTuneEpochs < 1
        || samplesPerBatch < 1 || batchSize < 1) {
      throw new IllegalArgumentException("sizes and epochs must be >= 1");
    }
  }

  /**
   * The small protocol of §3.5: (а), (д), (е) and the online run at λ = 0.1, 1, 10, 100, raw λ
   * input.
   */
  public static ComplexityProtocol small() {
    return new ComplexityProtocol(List.of(0.1, 1.0, 10.0, 100.0), 100, 3, 2, 1, 5, 128,
        Optimizer.adam(Optimizer.Kind.ADAM.defaultLearningRate()),
        0.1, LambdaInput.RAW, Set.of(Variant.DIRECT, Variant.LINEAR, Variant.LINEAR_FINE_TUNED,
            Variant.ONLINE),
        1);
  }

  /** Settings of one training. */
  TrainingSettings training(int epochs, LambdaDistribution distribution, int samples, long salt) {
    return new TrainingSettings(epochs, batchSize, samples, optimizer, CLIP, priorVariance,
        distribution, seed * 1_000_003L + salt);
  }
}
