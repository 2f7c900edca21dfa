package io.distilflux.trainer.complexity;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Runs the variants of a {@link ComplexityProtocol} on a training and a test set and evaluates
 * each at every λ: pruning curve, stability, evidence and update count.
 */
public final class ComplexityExperiment {

  private final ComplexityProtocol protocol;
  private final VariationalMlp network;
  private final Evaluator evaluator;
  private final PrintStream progress;

  /** An experiment on 784-feature (or any width) examples with {@code classes} classes. */
  public ComplexityExperiment(ComplexityProtocol protocol, int width, int classes,
      PrintStream progress) {
    this.protocol = protocol;
    this.network = new VariationalMlp(width, protocol.hidden(), classes);
    this.evaluator = new Evaluator(network, protocol.priorVariance());
    this.progress = progress;
  }

  /** Trains and evaluates every variant; results in the order of the variants, then of λ. */
  public List<ComplexityResult> run(Examples train, Examples test) {
    double[] mu0 = new double[network.parameterCount()];
    double[] rho0 = new double[network.parameterCount()];
    network.initialise(mu0, rho0, new SplittableRandom(protocol.seed()));
    List<ComplexityResult> results = new ArrayList<>();
    if (protocol.variants().contains(Variant.DIRECT)) {
      direct(Variant.DIRECT, protocol.directEpochs(), mu0, rho0, train, test, results);
    }
    if (protocol.variants().contains(Variant.DIRECT_ONE_EPOCH)) {
      direct(Variant.DIRECT_ONE_EPOCH, 1, mu0, rho0, train, test, results);
    }
    hypernet(Variant.LINEAR, Variant.LINEAR_FINE_TUNED, mu0, rho0, train, test, results);
    hypernet(Variant.LOW_RANK, Variant.LOW_RANK_FINE_TUNED, mu0, rho0, train, test, results);
    return results;
  }

  private void direct(Variant variant, int epochs, double[] mu0, double[] rho0, Examples train,
      Examples test, List<ComplexityResult> results) {
    for (int k = 0; k < protocol.lambdas().size(); k++) {
      double lambda = protocol.lambdas().get(k);
      DirectModel model = new DirectModel(mu0, rho0);
      VariationalTrainer.Outcome outcome = new VariationalTrainer(network, protocol.training(
          epochs, new LambdaDistribution.Fixed(lambda), 1, 100L * variant.ordinal() + k))
          .train(model, train);
      results.add(evaluate(variant, lambda, model, outcome.updates(), outcome.seconds(), train,
          test));
    }
  }

  private void hypernet(Variant plain, Variant fineTuned, double[] mu0, double[] rho0,
      Examples train, Examples test, List<ComplexityResult> results) {
    boolean wantPlain = protocol.variants().contains(plain);
    boolean wantTuned = protocol.variants().contains(fineTuned);
    if (!wantPlain && !wantTuned) {
      return;
    }
    boolean linear = plain == Variant.LINEAR;
    Hypernet g = linear ? new LinearHypernet(mu0, rho0, protocol.input())
        : new LowRankHypernet(network, mu0, rho0, protocol.input(),
            new SplittableRandom(protocol.seed() + 17));
    int samples = linear ? protocol.samplesPerBatch() : 1;
    VariationalTrainer.Outcome outcome = new VariationalTrainer(network, protocol.training(
        protocol.hyperEpochs(), ComplexityProtocol.RANGE, samples, 100L * plain.ordinal()))
        .train(g, train);
    progress.printf(Locale.ROOT, "%s: %d steps, %.0f s%n", plain.label(), outcome.steps(),
        outcome.seconds());
    List<ComplexityResult> tuned = new ArrayList<>();
    for (int k = 0; k < protocol.lambdas().size(); k++) {
      double lambda = protocol.lambdas().get(k);
      if (wantPlain) {
        results.add(evaluate(plain, lambda, g, outcome.updates(), outcome.seconds(), train,
            test));
      }
      if (wantTuned) {
        DirectModel model = DirectModel.at(g, lambda);
        VariationalTrainer.Outcome ft = new VariationalTrainer(network, protocol.training(
            protocol.fineTuneEpochs(), new LambdaDistribution.Fixed(lambda), 1,
            100L * fineTuned.ordinal() + k)).train(model, train);
        tuned.add(evaluate(fineTuned, lambda, model, outcome.updates() + ft.updates(),
            outcome.seconds() + ft.seconds(), train, test));
      }
    }
    results.addAll(tuned);
  }

  private ComplexityResult evaluate(Variant variant, double lambda, Hypernet model, long updates,
      double seconds, Examples train, Examples test) {
    double[] mu = new double[network.parameterCount()];
    double[] rho = new double[network.parameterCount()];
    model.generate(lambda, mu, rho);
    return evaluate(variant, lambda, mu, rho, updates, seconds, train, test);
  }

  /**
   * Evaluates trained parameters of this experiment's network at {@code lambda}: pruning curve
   * on {@code test}, KL, the evidence and log p at the means on {@code train}; prints a progress
   * line.
   *
   * @param mu the means, in {@link VariationalMlp}'s layout
   * @param rho ρ = ln σ, same layout
   */
  public ComplexityResult evaluate(Variant variant, double lambda, double[] mu, double[] rho,
      long updates, double seconds, Examples train, Examples test) {
    if (mu.length != network.parameterCount() || rho.length != network.parameterCount()) {
      throw new IllegalArgumentException("parameters do not fit the network");
    }
    double[] curve = evaluator.pruningCurve(mu, rho, test);
    double kl = VariationalMlp.kl(mu, rho, protocol.priorVariance());
    // the same noise for every model: differences in 𝔏 are the models', not the draws'
    double evidence = evaluator.evidence(mu, rho, lambda, train,
        new SplittableRandom(protocol.seed()));
    ComplexityResult r = new ComplexityResult(variant, lambda, curve, evidence, kl,
        evaluator.logLikelihood(mu, train), updates, seconds);
    progress.printf(Locale.ROOT, "%-26s λ=%-6s accuracy %.4f  S %.3f  𝔏 %.0f  (%.0f s)%n",
        variant.label(), ComplexityReport.lambda(lambda), r.accuracy(), r.stability(), evidence,
        seconds);
    return r;
  }
}
