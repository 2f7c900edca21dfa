package io.distilflux.trainer.structure;

import io.distilflux.trainer.complexity.Adam;
import io.distilflux.trainer.complexity.DirectModel;
import io.distilflux.trainer.complexity.Evaluator;
import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.LambdaDistribution;
import io.distilflux.trainer.complexity.TrainingSettings;
import io.distilflux.trainer.complexity.VariationalMlp;
import io.distilflux.trainer.complexity.VariationalTrainer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Runs the protocols of a {@link StructureProtocol} on a training and a test set: 002-A trains a
 * variational 784→h→10 network and prunes it by every rule, per layer and on the output layer
 * alone, and cuts smaller dense students out of it; 002-B trains a deterministic one for t_0
 * epochs while tracking the gradient noise, then trains on with k parameters frozen in three
 * orders.
 */
public final class StructureExperiment {

  /** The scope of per-layer curves. */
  public static final String ALL_LAYERS = "all layers";
  /** The scope of output-layer curves (where the Belsley rule applies). */
  public static final String OUTPUT_LAYER = "output layer";

  private final StructureProtocol protocol;
  private final PrintStream progress;

  /** An experiment printing its progress to {@code progress}. */
  public StructureExperiment(StructureProtocol protocol, PrintStream progress) {
    this.protocol = protocol;
    this.progress = progress;
  }

  /** Runs the chosen protocols. */
  public StructureResults run(Examples train, Examples test) {
    StructureResults.Pruned pruned = protocol.pruning() ? pruning(train, test) : null;
    StructureResults.Frozen frozen = protocol.freezing() ? freezing(train, test) : null;
    return new StructureResults(pruned, frozen);
  }

  /** Protocol 002-A. */
  StructureResults.Pruned pruning(Examples train, Examples test) {
    long start = System.nanoTime();
    VariationalMlp network = new VariationalMlp(train.width(), protocol.hidden(),
        train.classes());
    double[] mu = new double[network.parameterCount()];
    double[] rho = new double[network.parameterCount()];
    network.initialise(mu, rho, new SplittableRandom(protocol.seed()));
    DirectModel model = new DirectModel(mu, rho);
    VariationalTrainer.Outcome trained = new VariationalTrainer(network, settings(
        protocol.epochs(), protocol.seed())).train(model, train);
    model.generate(protocol.lambda(), mu, rho);
    Evaluator evaluator = new Evaluator(network, StructureProtocol.PRIOR_VARIANCE);
    double accuracy = evaluator.accuracy(mu, test);
    progress.printf(Locale.ROOT, "002-A: trained %d epochs in %.0f s, test accuracy %.4f%n",
        protocol.epochs(), trained.seconds(), accuracy);

    Examples sample = train.head(Math.min(protocol.scoreExamples(), train.count()));
    long t = System.nanoTime();
    OptimalBrainDamage obd = OptimalBrainDamage.estimate(new MeanLoss(network, sample), mu,
        new SplittableRandom(protocol.seed() + 31));
    progress.printf(Locale.ROOT, "002-A: OBD Hessian diagonal in %.0f s%n", since(t));
    VariationalPruning variational = new VariationalPruning(mu, rho);
    t = System.nanoTime();
    OutputPrecision precision = OutputPrecision.of(network, mu, sample, train.count(),
        StructureProtocol.PRIOR_VARIANCE);
    BelsleyPruning belsley = new BelsleyPruning(precision.matrix(), precision.parameters(),
        StructureProtocol.BELSLEY_REFRESH);
    int last = network.layers() - 1;
    int[] belsleyOrder = belsley.removalOrder(Pruning.weights(network, last));
    progress.printf(Locale.ROOT, "002-A: Belsley order of the output layer in %.0f s%n",
        since(t));

    List<StructureResults.Curve> curves = new ArrayList<>();
    for (boolean outputOnly : new boolean[] {false, true}) {
      curves.add(randomCurve(network, mu, outputOnly, evaluator, test));
      curves.add(curve("OBD", network, mu, obd, outputOnly, evaluator, test));
      curves.add(curve("variational", network, mu, variational, outputOnly, evaluator, test));
    }
    curves.add(curve("Belsley", network, mu, candidates -> belsleyOrder, true, evaluator, test));

    List<StructureResults.Student> students = new ArrayList<>();
    double[] variationalUnits = UnitPruning.unitScores(network, variational.scores())[0];
    double[] obdUnits = UnitPruning.unitScores(network, obd.scores())[0];
    for (int units : protocol.unitsKept()) {
      students.add(student("variational", UnitPruning.best(variationalUnits, units), network, mu,
          rho, true, train, test));
      students.add(student("OBD", UnitPruning.best(obdUnits, units), network, mu, rho, false,
          train, test));
      students.add(student("random", UnitPruning.random(protocol.hidden(), units,
          protocol.seed() + 7), network, mu, rho, false, train, test));
    }
    return new StructureResults.Pruned(protocol.fractions(), accuracy,
        network.parameterCount(), trained.seconds() / protocol.epochs(), curves, students,
        since(start));
  }

  private TrainingSettings settings(int epochs, long seed) {
    return new TrainingSettings(epochs, StructureProtocol.PRUNING_BATCH, 1,
        StructureProtocol.PRUNING_RATE, StructureProtocol.CLIP,
        StructureProtocol.PRIOR_VARIANCE, new LambdaDistribution.Fixed(protocol.lambda()), seed);
  }

  private StructureResults.Curve curve(String rule, VariationalMlp network, double[] mu,
      PruningEstimator estimator, boolean outputOnly, Evaluator evaluator, Examples test) {
    double[] fractions = protocol.fractions();
    double[] accuracy = new double[fractions.length];
    for (int k = 0; k < fractions.length; k++) {
      double[] pruned = outputOnly
          ? Pruning.oneLayer(network, mu, network.layers() - 1, estimator, fractions[k])
          : Pruning.perLayer(network, mu, estimator, fractions[k]);
      accuracy[k] = evaluator.accuracy(pruned, test);
    }
    String scope = outputOnly ? OUTPUT_LAYER : ALL_LAYERS;
    progress.printf(Locale.ROOT, "002-A: %-11s %-12s %s%n", rule, scope, row(accuracy));
    return new StructureResults.Curve(rule, scope, accuracy, new double[fractions.length]);
  }

  private StructureResults.Curve randomCurve(VariationalMlp network, double[] mu,
      boolean outputOnly, Evaluator evaluator, Examples test) {
    int n = protocol.fractions().length;
    int seeds = protocol.randomSeeds();
    double[][] runs = new double[seeds][];
    for (int s = 0; s < seeds; s++) {
      runs[s] = curve("random", network, mu, new RandomPruning(protocol.seed() + 100 + s),
          outputOnly, evaluator, test).accuracy();
    }
    double[] mean = new double[n];
    double[] spread = new double[n];
    for (int k = 0; k < n; k++) {
      for (double[] run : runs) {
        mean[k] += run[k] / seeds;
      }
      for (double[] run : runs) {
        spread[k] += (run[k] - mean[k]) * (run[k] - mean[k]) / Math.max(1, seeds - 1);
      }
      spread[k] = Math.sqrt(spread[k]);
    }
    return new StructureResults.Curve("random", outputOnly ? OUTPUT_LAYER : ALL_LAYERS, mean,
        spread);
  }

  private StructureResults.Student student(String rule, int[] kept, VariationalMlp network,
      double[] mu, double[] rho, boolean tune, Examples train, Examples test) {
    UnitPruning.Student cut = UnitPruning.keep(network, mu, rho, new int[][] {kept});
    Evaluator evaluator = new Evaluator(cut.network(), StructureProtocol.PRIOR_VARIANCE);
    double accuracy = evaluator.accuracy(cut.mu(), test);
    double tuned = Double.NaN;
    double seconds = Double.NaN;
    if (tune) {
      DirectModel model = new DirectModel(cut.mu(), cut.rho());
      VariationalTrainer.Outcome outcome = new VariationalTrainer(cut.network(),
          settings(1, protocol.seed() + kept.length)).train(model, train);
      double[] tunedMu = new double[cut.mu().length];
      double[] tunedRho = new double[cut.mu().length];
      model.generate(protocol.lambda(), tunedMu, tunedRho);
      tuned = evaluator.accuracy(tunedMu, test);
      seconds = outcome.seconds();
    }
    progress.printf(Locale.ROOT, "002-A: %d units by %-11s accuracy %.4f%s%n", kept.length,
        rule, accuracy, tune ? String.format(Locale.ROOT,
            ", after 1 epoch %.4f (%.1f s)", tuned, seconds) : "");
    return new StructureResults.Student(rule, kept.length, cut.network().parameterCount(),
        accuracy, tuned, seconds);
  }

  /** Protocol 002-B. */
  StructureResults.Frozen freezing(Examples train, Examples test) {
    long start = System.nanoTime();
    VariationalMlp network = new VariationalMlp(train.width(), protocol.hidden(),
        train.classes());
    double[] w = new double[network.parameterCount()];
    network.initialise(w, new double[w.length], new SplittableRandom(protocol.seed() + 5));
    // no clipping: the protocol's Adam is plain
    Adam adam = new Adam(w.length, StructureProtocol.FREEZING_RATE, Double.POSITIVE_INFINITY);
    MaskedTraining training = new MaskedTraining(network, StructureProtocol.FREEZING_BATCH);
    GradientNoise noise = new GradientNoise(w.length);
    MaskedTraining.Outcome warmup = training.train(w, adam, train, protocol.warmupEpochs(), null,
        noise, new SplittableRandom(protocol.seed() + 6));
    Evaluator evaluator = new Evaluator(network, StructureProtocol.PRIOR_VARIANCE);
    double warmupAccuracy = evaluator.accuracy(w, test);
    double[] variance = noise.variance();
    int zero = 0;
    for (double v : variance) {
      zero += v == 0 ? 1 : 0;
    }
    progress.printf(Locale.ROOT,
        "002-B: t_0 = %d epoch(s) in %.0f s, test accuracy %.4f, %d of %d parameters with zero "
            + "gradient-noise variance%n", protocol.warmupEpochs(), warmup.seconds(),
        warmupAccuracy, zero, w.length);
    long seed = protocol.seed() + 8;
    double[] free = w.clone();
    MaskedTraining.Outcome unfrozen = training.train(free, adam.copy(), train,
        protocol.freezeEpochs(), null, null, new SplittableRandom(seed));
    double unfrozenAccuracy = evaluator.accuracy(free, test);
    progress.printf(Locale.ROOT, "002-B: nothing frozen: accuracy %.4f (%.0f s)%n",
        unfrozenAccuracy, unfrozen.seconds());
    List<StructureResults.Freeze> runs = new ArrayList<>();
    for (double fraction : protocol.frozenFractions()) {
      int k = (int) Math.round(fraction * w.length);
      for (Freezing.Order order : Freezing.Order.values()) {
        double[] alpha = Freezing.mask(variance, k, order, protocol.seed() + 9);
        double[] v = w.clone();
        // the same shuffles for every arm, so that only the mask differs
        MaskedTraining.Outcome outcome = training.train(v, adam.copy(), train,
            protocol.freezeEpochs(), alpha, null, new SplittableRandom(seed));
        double accuracy = evaluator.accuracy(v, test);
        progress.printf(Locale.ROOT, "002-B: %2.0f %% frozen by %-16s accuracy %.4f (%.0f s)%n",
            100 * fraction, order.label(), accuracy, outcome.seconds());
        runs.add(new StructureResults.Freeze(order, fraction, accuracy, outcome.updates()));
      }
    }
    return new StructureResults.Frozen(warmupAccuracy, unfrozenAccuracy, unfrozen.updates(),
        w.length, zero, runs, since(start));
  }

  private static double since(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  private static String row(double[] values) {
    StringBuilder s = new StringBuilder();
    for (double v : values) {
      s.append(String.format(Locale.ROOT, " %.3f", v));
    }
    return s.toString().trim();
  }
}
