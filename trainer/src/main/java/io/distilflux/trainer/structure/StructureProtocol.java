package io.distilflux.trainer.structure;

import io.distilflux.pipeline.event.MetaValues;
import java.util.Arrays;

/**
 * The settings of {@code experiment structure} (docs/structure.md §5): protocol 002-A (pruning
 * curves of a variational network), 002-B (freezing by gradient-noise variance) and 003 (a
 * supernet's structure chosen by the hypergradient of its Gumbel-softmax logits, then the
 * discrete student distilled), the enumeration of 003 (sequential searches, each repelled
 * from the structures found before) and 003's run (i) (variational searches, one per c_prior).
 *
 * @param pruning whether to run 002-A
 * @param freezing whether to run 002-B
 * @param search whether to run 003
 * @param enumeration whether to run 003's enumeration
 * @param prior whether to run 003's run (i), the c_prior sweep
 * @param hidden hidden units of both 784→hidden→10 networks
 * @param epochs 002-A: epochs of the variational network (Adam 3e-3, B = 128, λ = 1)
 * @param lambda 002-A: the complexity weight λ of the variational loss
 * @param fractions 002-A: the pruned fractions, each in [0, 1]
 * @param randomSeeds 002-A: how many random orders are averaged
 * @param scoreExamples 002-A: training examples behind the Hessian diagonal and the Belsley
 *     precision
 * @param unitsKept 002-A: hidden widths of the smaller dense students, each in 1..hidden when
 *     002-A runs
 * @param warmupEpochs 002-B: epochs before the variances are read (t_0)
 * @param freezeEpochs 002-B: epochs trained with the mask
 * @param frozenFractions 002-B: the frozen shares k/n, each in [0, 1]
 * @param freezeSeeds 002-B: how many seeds (initialisation, shuffles, random order) are averaged
 * @param searchEpochs 003: epochs of the supernet search
 * @param validation 003: training images held out as the validation set of the structure
 *     logits (the last ones; the search trains its weights on the others)
 * @param distilEpochs 003: epochs the discrete student is distilled from the supernet
 * @param enumerationRuns enumeration: the sequential searches, N
 * @param enumerationImages enumeration: the training images each search trains its weights on
 *     for one epoch (the first ones; the logits follow the same held-out validation set as 003)
 * @param priorWeights run (i): the c_prior of each variational search (each finite and >= 0;
 *     each search lasts {@code searchEpochs} on 003's split)
 * @param seed seeds initialisation, shuffles, noise, probes and random orders
 */
public record StructureProtocol(boolean pruning, boolean freezing, boolean search,
    boolean enumeration, boolean prior, int hidden, int epochs, double lambda, double[] fractions,
    int randomSeeds, int scoreExamples, int[] unitsKept, int warmupEpochs, int freezeEpochs,
    double[] frozenFractions, int freezeSeeds, int searchEpochs, int validation,
    int distilEpochs, int enumerationRuns, int enumerationImages, double[] priorWeights,
    long seed) {

  /** 002-A's batch size and Adam step size (as the complexity experiment's run A). */
  public static final int PRUNING_BATCH = 128;
  /** 002-A's Adam step size. */
  public static final double PRUNING_RATE = 3e-3;
  /** 002-A's prior variance s_p². */
  public static final double PRIOR_VARIANCE = 0.1;
  /** 002-A's gradient clipping by value. */
  public static final double CLIP = 1.0;
  /** 002-B's batch size. */
  public static final int FREEZING_BATCH = 64;
  /** 002-B's Adam step size. */
  public static final double FREEZING_RATE = 1e-3;
  /** The Belsley rule's share of candidates removed between two decompositions. */
  public static final double BELSLEY_REFRESH = 0.05;
  /** 003's batch size (search and distillation). */
  public static final int SEARCH_BATCH = 128;
  /** 003's Adam step size for the weights, also β of the hypergradient's virtual step. */
  public static final double SEARCH_RATE = 1e-3;
  /** 003's Adam step size for the structure logits. */
  public static final double META_RATE = 1e-2;
  /** 003's first temperature c. */
  public static final double FIRST_TEMPERATURE = GumbelSoftmax.FIRST_TEMPERATURE;
  /** 003's last temperature c when annealed. */
  public static final double LAST_TEMPERATURE = GumbelSoftmax.LAST_TEMPERATURE;
  /** 003's steps per mini-epoch: the switch to the student waits for a multiple. */
  public static final int MINI_EPOCH = 10;
  /** The enumeration's epochs per search. */
  public static final int ENUMERATION_EPOCHS = 1;
  /** Run (i)'s c_reg, the KL's weight in the weights' loss (the ELBO's). */
  public static final double REGULARISATION = 1;
  /** 003's distillation loss: λ1, λ2 and T (with Hinton's T²). */
  public static final MetaValues DISTILLATION = new MetaValues(0.5, 0.5, 2.0);

  /** Checks every size and share and copies the arrays. */
  public StructureProtocol {
    if (!pruning && !freezing && !search && !enumeration && !prior) {
      throw new IllegalArgumentException("choose at least one protocol");
    }
    if (hidden < 1 || epochs < 1 || randomSeeds < 1 || scoreExamples < 1 || warmupEpochs < 1
        || freezeEpochs < 1 || freezeSeeds < 1 || searchEpochs < 1 || validation < 1
        || distilEpochs < 1 || enumerationRuns < 1 || enumerationImages < 1) {
      throw new IllegalArgumentException("sizes, epochs and seeds must be >= 1");
    }
    if (!(lambda > 0) || !Double.isFinite(lambda)) {
      throw new IllegalArgumentException("λ must be positive and finite, got " + lambda);
    }
    fractions = shares(fractions, "pruned fractions");
    frozenFractions = shares(frozenFractions, "frozen fractions");
    priorWeights = priorWeights.clone();
    if (priorWeights.length == 0) {
      throw new IllegalArgumentException("c_prior: at least one value is needed");
    }
    for (double c : priorWeights) {
      if (!(c >= 0) || !Double.isFinite(c)) {
        throw new IllegalArgumentException("c_prior must be finite and >= 0, got "
            + Arrays.toString(priorWeights));
      }
    }
    unitsKept = unitsKept.clone();
    for (int units : unitsKept) {
      // the widths only matter to 002-A, which cuts the students
      if (pruning && (units < 1 || units > hidden)) {
        throw new IllegalArgumentException("units kept must be in 1.." + hidden + ", got "
            + units);
      }
    }
  }

  /**
   * The default protocol: 100 hidden units, 3 epochs at λ = 1, 0…90, 95, 99 % pruned; k ∈ {50,
   * 75, 90} % frozen after 1 epoch, then 2 more, over 3 seeds; a 2-epoch supernet search with
   * 5 000 validation images, its student distilled for 1 epoch; an enumeration of 6 searches
   * of 1 epoch on 20 000 images.
   */
  public static StructureProtocol standard() {
    return new StructureProtocol(true, true, true, true, false, 100, 3, 1.0,
        new double[] {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99}, 3, 5000,
        new int[] {50, 25, 10}, 1, 2, new double[] {0.5, 0.75, 0.9}, 3, 2, 5000, 1, 6, 20_000,
        new double[] {0.1, 1, 10}, 1);
  }

  private static double[] shares(double[] values, String what) {
    if (values.length == 0) {
      throw new IllegalArgumentException(what + ": at least one is needed");
    }
    for (double v : values) {
      if (!(v >= 0 && v <= 1)) {
        throw new IllegalArgumentException(what + " must be in [0, 1], got "
            + Arrays.toString(values));
      }
    }
    return values.clone();
  }
}
