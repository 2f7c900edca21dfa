package io.distilflux.trainer.structure;

import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.event.StructureChosen;
import io.distilflux.trainer.complexity.Adam;
import io.distilflux.trainer.complexity.DirectModel;
import io.distilflux.trainer.complexity.Evaluator;
import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.LambdaDistribution;
import io.distilflux.trainer.complexity.Optimizer;
import io.distilflux.trainer.complexity.TrainingSettings;
import io.distilflux.trainer.complexity.VariationalMlp;
import io.distilflux.trainer.complexity.VariationalTrainer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Runs the protocols of a {@link StructureProtocol} on a training and a test set: 002-A trains a
 * variational 784→h→10 network and prunes it by every rule, per layer and on the output layer
 * alone, and cuts smaller dense students out of it; 002-B trains a deterministic one for t_0
 * epochs while tracking the gradient noise, then trains on with k parameters frozen in three
 * orders; 003 searches a supernet's structure with the temperature annealed and fixed, cuts out
 * the argmax student and distils it from the supernet; its enumeration runs searches in sequence,
 * each repelled from the structures found before; its run (i) searches with variational weights,
 * one search per c_prior.
 */
public final class StructureExperiment {

  /** The scope of per-layer curves. */
  public static final String ALL_LAYERS = "all layers";
  /** The scope of output-layer curves (where the Belsley rule applies). */
  public static final String OUTPUT_LAYER = "output layer";

  /** The name of OBD with the empirical Fisher's diagonal. */
  public static final String FISHER = "OBD (Fisher)";

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
    StructureResults.Searched searched = protocol.search() ? search(train, test) : null;
    StructureResults.Enumerated enumerated = protocol.enumeration() ? enumeration(train, test)
        : null;
    StructureResults.PriorSweep prior = protocol.prior() ? prior(train, test) : null;
    return new StructureResults(pruned, frozen, searched, enumerated, prior);
  }

  /**
   * 003's run (i): one search of the supernet with variational weights per c_prior, on 003's
   * split, for 003's epochs, c annealed, c_reg = 1, every search from the same seed so that
   * they differ by c_prior alone.
   */
  StructureResults.PriorSweep prior(Examples train, Examples test) {
    long start = System.nanoTime();
    Examples[] split = heldOut(train);
    Supernet net = Supernet.standard(train.width(), train.classes());
    VariationalSupernet variational = new VariationalSupernet(net);
    SupernetSearch.Settings settings = new SupernetSearch.Settings(protocol.searchEpochs(),
        StructureProtocol.SEARCH_BATCH, StructureProtocol.SEARCH_RATE,
        StructureProtocol.META_RATE, StructureProtocol.FIRST_TEMPERATURE,
        StructureProtocol.LAST_TEMPERATURE, protocol.seed());
    List<StructureResults.PriorRun> runs = new ArrayList<>();
    for (double weight : protocol.priorWeights()) {
      SupernetSearch.Outcome outcome = new SupernetSearch(net, settings, null,
          new SupernetSearch.Prior(StructureProtocol.REGULARISATION, weight))
          .run(split[0], split[1]);
      double[] mu = outcome.weights();
      double[] rho = outcome.rho();
      double[] logAlpha = outcome.logAlpha();
      double[] blockKl = variational.blockKl(mu, rho,
          variational.optimalPriorVariances(mu, rho));
      int[] choice = outcome.choice();
      double studentKl = blockKl[choice[0]] + blockKl[net.offset(1) + choice[1]];
      double sigma = Arrays.stream(rho).map(Math::exp).average().orElse(Double.NaN);
      double[] mean = SupernetLoss.gamma(net, logAlpha, new double[net.structureSize()],
          outcome.temperature());
      double supernet = net.accuracy(mu, mean, test);
      Supernet student = net.discrete(choice);
      double cut = student.accuracy(net.discreteWeights(mu, choice), new double[] {1, 1}, test);
      StructureResults.PriorRun run = new StructureResults.PriorRun(weight, logAlpha, choice,
          net.describe(choice), student.parameterCount(), variational.expectedWidth(logAlpha),
          variational.expectedKl(logAlpha, blockKl), studentKl, sigma, supernet, cut,
          outcome.seconds());
      progress.printf(Locale.ROOT, "003 c_prior %s: %d steps in %.0f s, log α %s, expected "
          + "width %.1f, C_param %.0f, student %s (KL %.0f), mean σ %.4f, supernet accuracy "
          + "%.4f, as cut %.4f%n", StructureReport.number(weight), outcome.steps(),
          outcome.seconds(), row(logAlpha), run.expectedWidth(), run.complexity(),
          run.student(), studentKl, sigma, supernet, cut);
      runs.add(run);
    }
    return new StructureResults.PriorSweep(protocol.searchEpochs(),
        StructureProtocol.REGULARISATION, runs, since(start));
  }

  /**
   * 003's enumeration: N searches in sequence, one epoch each on the first images of the
   * training set, c annealed, each repelled (c_comb = −1, each KL clipped at 10) from the
   * structure distributions the searches before it found. Every search starts from the same seed,
   * so that they differ by the enumeration term alone.
   */
  StructureResults.Enumerated enumeration(Examples train, Examples test) {
    long start = System.nanoTime();
    Examples[] split = heldOut(train);
    Examples weights = split[0].head(Math.min(protocol.enumerationImages(), split[0].count()));
    Supernet net = Supernet.standard(train.width(), train.classes());
    SupernetSearch.Settings settings = new SupernetSearch.Settings(
        StructureProtocol.ENUMERATION_EPOCHS, StructureProtocol.SEARCH_BATCH,
        StructureProtocol.SEARCH_RATE, StructureProtocol.META_RATE,
        StructureProtocol.FIRST_TEMPERATURE, StructureProtocol.LAST_TEMPERATURE, protocol.seed());
    List<double[]> found = new ArrayList<>();
    List<StructureResults.Enumeration> runs = new ArrayList<>();
    for (int run = 1; run <= protocol.enumerationRuns(); run++) {
      SupernetSearch.Outcome outcome = new SupernetSearch(net, settings,
          EnumerationTerm.repulsion(net, found)).run(weights, split[1]);
      double[] logAlpha = outcome.logAlpha();
      double[] kl = found.stream().mapToDouble(p -> EnumerationTerm.kl(net, logAlpha, p))
          .toArray();
      int[] choice = outcome.choice();
      double[] mean = SupernetLoss.gamma(net, logAlpha, new double[net.structureSize()],
          outcome.temperature());
      double supernet = net.accuracy(outcome.weights(), mean, test);
      Supernet student = net.discrete(choice);
      double cut = student.accuracy(net.discreteWeights(outcome.weights(), choice),
          new double[] {1, 1}, test);
      StructureResults.Enumeration e = new StructureResults.Enumeration(run, logAlpha, choice,
          net.describe(choice), student.parameterCount(), kl, supernet, cut, outcome.seconds());
      progress.printf(Locale.ROOT, "003 enumeration %d: %d steps in %.0f s, log α %s, KL to "
          + "earlier %s, student %s%s, supernet accuracy %.4f, as cut %.4f%n", run,
          outcome.steps(), outcome.seconds(), row(logAlpha), kl.length == 0 ? "none" : row(kl),
          e.student(),
          e.isNew(runs) ? " (new)" : "", supernet, cut);
      runs.add(e);
      found.add(logAlpha);
    }
    int structures = 1;
    for (int e = 0; e < Supernet.EDGES; e++) {
      structures *= net.choices(e);
    }
    return new StructureResults.Enumerated(weights.count(), structures, runs, since(start));
  }

  /** The training images the weights train on and the last ones, held out for the logits. */
  private Examples[] heldOut(Examples train) {
    if (protocol.validation() >= train.count()) {
      throw new IllegalArgumentException("the validation set (" + protocol.validation()
          + ") must leave training images (" + train.count() + ")");
    }
    int kept = train.count() - protocol.validation();
    return new Examples[] {train.head(kept), tail(train, kept)};
  }

  /** Protocol 003: the annealed and the fixed-temperature search, each student distilled. */
  StructureResults.Searched search(Examples train, Examples test) {
    long start = System.nanoTime();
    Examples[] split = heldOut(train);
    Examples weights = split[0];
    Examples validation = split[1];
    List<StructureResults.Search> searches = new ArrayList<>();
    double first = StructureProtocol.FIRST_TEMPERATURE;
    searches.add(search("annealed", first, StructureProtocol.LAST_TEMPERATURE, weights,
        validation, test));
    searches.add(search("fixed", first, first, weights, validation, test));
    return new StructureResults.Searched(searches, since(start));
  }

  private StructureResults.Search search(String schedule, double from, double to,
      Examples train, Examples validation, Examples test) {
    Supernet net = Supernet.standard(train.width(), train.classes());
    SupernetSearch.Settings settings = new SupernetSearch.Settings(protocol.searchEpochs(),
        StructureProtocol.SEARCH_BATCH, StructureProtocol.SEARCH_RATE,
        StructureProtocol.META_RATE, from, to, protocol.seed());
    // what the supernet and the cut student score at the switch, before any distillation
    double[] atSwitch = new double[3];
    long distilSteps = (long) protocol.distilEpochs()
        * ((train.count() + StructureProtocol.SEARCH_BATCH - 1) / StructureProtocol.SEARCH_BATCH);
    List<StructureChosen> published = new ArrayList<>();
    StructureSwitch.Outcome outcome = new StructureSwitch(net, settings,
        StructureProtocol.MINI_EPOCH, "structure-" + schedule, published::add)
        .run(train, validation, distilSteps, StructureProtocol.DISTILLATION,
            StructureProtocol.SEARCH_RATE, protocol.seed() + 43, found -> {
              double c = found.temperature();
              double[] mean = SupernetLoss.gamma(net, found.logAlpha(),
                  new double[net.structureSize()], c);
              atSwitch[0] = net.accuracy(found.weights(), mean, test);
              atSwitch[1] = vertexDistance(net, found.logAlpha(), c,
                  new SplittableRandom(protocol.seed() + 41));
              int[] choice = found.choice();
              atSwitch[2] = net.discrete(choice).accuracy(
                  net.discreteWeights(found.weights(), choice), new double[] {1, 1}, test);
              progress.printf(Locale.ROOT, "003 %s: searched %d steps in %.0f s, log α %s, "
                  + "supernet accuracy %.4f, 1 − max γ %.3f; student %s as cut %.4f%n",
                  schedule, found.steps(), found.seconds(), row(found.logAlpha()),
                  atSwitch[0], atSwitch[1], net.describe(choice), atSwitch[2]);
            });
    SupernetSearch.Outcome found = outcome.search();
    int[] choice = found.choice();
    double accuracy = outcome.student().accuracy(outcome.studentWeights(), new double[] {1, 1},
        test);
    String event = EventCodec.encodeToString(published.get(0));
    progress.printf(Locale.ROOT, "003 %s: published %s%n", schedule, event);
    progress.printf(Locale.ROOT, "003 %s: student %s distilled %d steps in %.0f s, accuracy "
        + "%.4f%n", schedule, net.describe(choice), outcome.distillation().steps(),
        outcome.distillation().seconds(), accuracy);
    return new StructureResults.Search(schedule, from, to, found.logAlpha(), choice,
        net.describe(choice), net.parameterCount(), outcome.student().parameterCount(),
        atSwitch[0], atSwitch[1], atSwitch[2], accuracy, found.seconds(),
        outcome.distillation().seconds(), event);
  }

  /** The mean over edges and samples of 1 − max_h γ_h at temperature c. */
  static double vertexDistance(Supernet net, double[] logAlpha, double c,
      SplittableRandom random) {
    int samples = 1000;
    double sum = 0;
    for (int s = 0; s < samples; s++) {
      double[] gamma = SupernetLoss.gamma(net, logAlpha, SupernetLoss.noise(net, random), c);
      for (int e = 0; e < Supernet.EDGES; e++) {
        double max = 0;
        for (int h = 0; h < net.choices(e); h++) {
          max = Math.max(max, gamma[net.offset(e) + h]);
        }
        sum += 1 - max;
      }
    }
    return sum / (samples * Supernet.EDGES);
  }

  /** The examples from {@code from} on. */
  private static Examples tail(Examples data, int from) {
    int n = data.count() - from;
    float[] x = new float[n * data.width()];
    System.arraycopy(data.features(), from * data.width(), x, 0, x.length);
    byte[] y = new byte[n];
    System.arraycopy(data.labels(), from, y, 0, n);
    return new Examples(x, y, data.width(), data.classes());
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
    MeanLoss loss = new MeanLoss(network, sample);
    OptimalBrainDamage obd = OptimalBrainDamage.estimate(loss, mu,
        new SplittableRandom(protocol.seed() + 31));
    int negative = (int) Arrays.stream(obd.scores()).filter(v -> v < 0).count();
    progress.printf(Locale.ROOT, "002-A: OBD Hessian diagonal in %.0f s, %d of %d saliencies "
        + "negative%n", since(t), negative, mu.length);
    t = System.nanoTime();
    OptimalBrainDamage fisher = OptimalBrainDamage.fisher(loss, mu);
    progress.printf(Locale.ROOT, "002-A: empirical Fisher diagonal in %.0f s%n", since(t));
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
      curves.add(curve(FISHER, network, mu, fisher, outputOnly, evaluator, test));
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
        network.parameterCount(), trained.seconds() / protocol.epochs(), negative, curves,
        students, since(start));
  }

  private TrainingSettings settings(int epochs, long seed) {
    return new TrainingSettings(epochs, StructureProtocol.PRUNING_BATCH, 1,
        Optimizer.adam(StructureProtocol.PRUNING_RATE), StructureProtocol.CLIP,
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
      double[] at = new double[seeds];
      for (int s = 0; s < seeds; s++) {
        at[s] = runs[s][k];
      }
      double[] ms = meanAndSd(at);
      mean[k] = ms[0];
      spread[k] = ms[1];
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

  /** Protocol 002-B, repeated over the protocol's seeds. */
  StructureResults.Frozen freezing(Examples train, Examples test) {
    long start = System.nanoTime();
    int seeds = protocol.freezeSeeds();
    double[] fractions = protocol.frozenFractions();
    Freezing.Order[] orders = Freezing.Order.values();
    double[][][] accuracy = new double[fractions.length][orders.length][seeds];
    long[][] updates = new long[fractions.length][orders.length];
    double[] warmup = new double[seeds];
    double[] unfrozen = new double[seeds];
    long unfrozenUpdates = 0;
    int zero = 0;
    VariationalMlp network = new VariationalMlp(train.width(), protocol.hidden(),
        train.classes());
    Evaluator evaluator = new Evaluator(network, StructureProtocol.PRIOR_VARIANCE);
    MaskedTraining training = new MaskedTraining(network, StructureProtocol.FREEZING_BATCH);
    for (int s = 0; s < seeds; s++) {
      long seed = protocol.seed() + 1000L * s;
      double[] w = new double[network.parameterCount()];
      network.initialise(w, new double[w.length], new SplittableRandom(seed + 5));
      // no clipping: the protocol's Adam is plain
      Adam adam = new Adam(w.length, StructureProtocol.FREEZING_RATE, Double.POSITIVE_INFINITY);
      GradientNoise noise = new GradientNoise(w.length);
      MaskedTraining.Outcome first = training.train(w, adam, train, protocol.warmupEpochs(),
          null, noise, new SplittableRandom(seed + 6));
      warmup[s] = evaluator.accuracy(w, test);
      double[] variance = noise.variance();
      zero = (int) Arrays.stream(variance).filter(v -> v == 0).count();
      progress.printf(Locale.ROOT, "002-B seed %d: t_0 = %d epoch(s) in %.0f s, test accuracy "
          + "%.4f, %d of %d parameters with zero gradient-noise variance%n", s,
          protocol.warmupEpochs(), first.seconds(), warmup[s], zero, w.length);
      double[] free = w.clone();
      MaskedTraining.Outcome plain = training.train(free, adam.copy(), train,
          protocol.freezeEpochs(), null, null, new SplittableRandom(seed + 8));
      unfrozen[s] = evaluator.accuracy(free, test);
      unfrozenUpdates = plain.updates();
      progress.printf(Locale.ROOT, "002-B seed %d: nothing frozen: accuracy %.4f (%.0f s)%n", s,
          unfrozen[s], plain.seconds());
      for (int i = 0; i < fractions.length; i++) {
        int k = (int) Math.round(fractions[i] * w.length);
        for (int o = 0; o < orders.length; o++) {
          double[] alpha = Freezing.mask(variance, k, orders[o], seed + 9);
          double[] v = w.clone();
          // the same shuffles for every arm, so that only the mask differs
          MaskedTraining.Outcome outcome = training.train(v, adam.copy(), train,
              protocol.freezeEpochs(), alpha, null, new SplittableRandom(seed + 8));
          accuracy[i][o][s] = evaluator.accuracy(v, test);
          updates[i][o] = outcome.updates();
          progress.printf(Locale.ROOT, "002-B seed %d: %2.0f %% frozen by %-16s accuracy %.4f "
              + "(%.0f s)%n", s, 100 * fractions[i], orders[o].label(), accuracy[i][o][s],
              outcome.seconds());
        }
      }
    }
    List<StructureResults.Freeze> runs = new ArrayList<>();
    for (int i = 0; i < fractions.length; i++) {
      for (int o = 0; o < orders.length; o++) {
        double[] ms = meanAndSd(accuracy[i][o]);
        runs.add(new StructureResults.Freeze(orders[o], fractions[i], ms[0], ms[1],
            updates[i][o]));
      }
    }
    double[] plain = meanAndSd(unfrozen);
    return new StructureResults.Frozen(seeds, meanAndSd(warmup)[0], plain[0], plain[1],
        unfrozenUpdates, network.parameterCount(), zero, runs, since(start));
  }

  /** The mean and the sample standard deviation (0 for one value). */
  private static double[] meanAndSd(double[] values) {
    double mean = 0;
    for (double v : values) {
      mean += v / values.length;
    }
    double sum = 0;
    for (double v : values) {
      sum += (v - mean) * (v - mean);
    }
    return new double[] {mean, Math.sqrt(sum / Math.max(1, values.length - 1))};
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
