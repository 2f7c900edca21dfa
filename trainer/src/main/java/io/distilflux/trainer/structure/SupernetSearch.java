package io.distilflux.trainer.structure;

import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.meta.MetaOptimizerSettings;
import io.distilflux.pipeline.meta.MetaUpdateRule;
import io.distilflux.trainer.complexity.Adam;
import io.distilflux.trainer.complexity.Examples;
import java.util.stream.IntStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The bilevel search of a {@link Supernet} (docs/structure.md §7): each step draws Gumbel noise,
 * takes the temperature c from its schedule, moves the structure logits log α along the
 * one-step hypergradient of the validation loss ({@link StructureHyperGradient}) by the
 * meta-optimizer's own rule ({@link MetaUpdateRule}: Adam, each coordinate clipped to [−c, c]
 * with the meta-optimizer's default c, as b and the run's extra coordinates are moved) and then
 * the weights by Adam along the training loss's gradient, both under the same noise. An
 * {@link EnumerationTerm} adds its gradient to the logits' hypergradient. With a {@link Prior}
 * the weights are variational ({@link VariationalSupernet}): each step samples them, the
 * weights' loss gains c_reg·KL_struct/N and the logits' c_prior·KL_struct/N, N the training
 * examples. At the end the argmax of the logits per edge is the discrete student.
 */
public final class SupernetSearch {

  /**
   * The search's settings.
   *
   * @param epochs passes over the training set
   * @param batch minibatch size of both the training and the validation batches
   * @param rate Adam's step size for the weights, also β of the virtual step
   * @param metaRate the meta-optimizer's Adam step size for the structure logits
   * @param fromTemperature c at the first step
   * @param toTemperature c at the last step (geometric annealing); equal to fromTemperature for
   *     a fixed c
   * @param seed initialisation, shuffles and noise
   */
  public record Settings(int epochs, int batch, double rate, double metaRate,
      double fromTemperature, double toTemperature, long seed) {

    /** Checks every size and rate. */
    public Settings {
      if (epochs < 1 || batch < 1) {
        throw new IllegalArgumentException("epochs and batch must be >= 1");
      }
      if (!(rate > 0) || !(metaRate > 0) || !(fromTemperature > 0) || !(toTemperature > 0)
          || !Double.isFinite(fromTemperature) || !Double.isFinite(toTemperature)) {
        throw new IllegalArgumentException("rates and temperatures must be positive and finite");
      }
    }

    /** Whether c is annealed rather than fixed. */
    public boolean annealed() {
      return fromTemperature != toTemperature;
    }
  }

  /**
   * The variational mode's weights of the KL (docs/structure.md §7): the search maximises, per
   * training example, the inner L = E_q log p(y|X, w) − c_reg·KL_struct/N over μ and ρ and the
   * outer Q = E_q log p(y_val|X_val, w) − c_prior·KL_struct/N over the logits, the precisions
   * at their closed-form optimum.
   *
   * @param regularisation c_reg, the KL's weight in the weights' loss
   * @param weight c_prior, the KL's weight in the logits' objective
   */
  public record Prior(double regularisation, double weight) {

    /** Checks both weights. */
    public Prior {
      if (!(regularisation >= 0) || !(weight >= 0) || !Double.isFinite(regularisation)
          || !Double.isFinite(weight)) {
        throw new IllegalArgumentException("c_reg and c_prior must be finite and >= 0, got "
            + regularisation + " and " + weight);
      }
    }
  }

  /**
   * What a search produced.
   *
   * @param weights the supernet's weights (the means μ of variational ones)
   * @param logAlpha the structure logits, flat
   * @param temperature c at the end
   * @param choice the argmax block per edge
   * @param history the structure logits after each epoch (epoch 0: before training)
   * @param steps optimizer steps
   * @param seconds wall time
   * @param rho ρ of variational weights (σ = e^ρ); null for deterministic ones
   */
  public record Outcome(double[] weights, double[] logAlpha, double temperature, int[] choice,
      List<double[]> history, long steps, double seconds, double[] rho) {}

  private final Supernet net;
  private final Settings settings;
  private final EnumerationTerm term;
  private final Prior prior;

  /** A search over this supernet with these settings. */
  public SupernetSearch(Supernet net, Settings settings) {
    this(net, settings, null);
  }

  /**
   * A search whose structure logits also follow an enumeration term of the outer objective
   * (repulsion from the structures of earlier searches); null for none.
   */
  public SupernetSearch(Supernet net, Settings settings, EnumerationTerm term) {
    this(net, settings, term, null);
  }

  /**
   * A search with an enumeration term (null for none) whose weights are variational under this
   * prior (null for deterministic weights).
   */
  public SupernetSearch(Supernet net, Settings settings, EnumerationTerm term, Prior prior) {
    this.net = net;
    this.settings = settings;
    this.term = term;
    this.prior = prior;
  }

  /** Trains the weights on {@code train} and the structure logits on {@code validation}. */
  public Outcome run(Examples train, Examples validation) {
    Stepper stepper = start(train, validation);
    List<double[]> history = new ArrayList<>();
    history.add(stepper.logAlpha.clone());
    for (int epoch = 0; epoch < settings.epochs(); epoch++) {
      for (int s = 0; s < stepper.stepsPerEpoch; s++) {
        stepper.step();
      }
      history.add(stepper.logAlpha.clone());
    }
    return stepper.outcome(history);
  }

  /** A search ready to take its first step. */
  public Stepper start(Examples train, Examples validation) {
    return new Stepper(train, validation);
  }

  /**
   * The search one step at a time, for a caller that decides when to stop (such as a switch to
   * the discrete student at a mini-epoch boundary). Past the settings' epochs, c stays at its
   * last value.
   */
  public final class Stepper {
    private final long start = System.nanoTime();
    private final Examples train;
    private final Examples validation;
    private final SplittableRandom random = new SplittableRandom(settings.seed());
    private final double[] w = new double[net.parameterCount()];
    private final double[] logAlpha = new double[net.structureSize()];
    private final int b;
    private final SupernetLoss loss;
    private final StructureHyperGradient hyper;
    private final Adam weights;
    private final MetaUpdateRule structure;
    private final double[] gradW;
    private final double[] hyperGradient;
    private final int[] order;
    private final int[] valOrder;
    private final int stepsPerEpoch;
    private final long total;
    private long step;
    private int from;
    private int valFrom;
    private double c = settings.fromTemperature();
    // the variational mode's state; null with deterministic weights
    private final VariationalSupernet variational;
    private final double[] rho;
    private final double[] eps;
    private final double[] sample;
    private final double[] gradRho;
    private final Adam deviations;

    private Stepper(Examples train, Examples validation) {
      this.train = train;
      this.validation = validation;
      if (prior == null) {
        net.initialise(w, random);
        variational = null;
        rho = eps = sample = gradRho = null;
        deviations = null;
      } else {
        variational = new VariationalSupernet(net);
        rho = new double[w.length];
        variational.initialise(w, rho, random);
        eps = new double[w.length];
        sample = new double[w.length];
        gradRho = new double[w.length];
        deviations = new Adam(w.length, settings.rate(), Double.POSITIVE_INFINITY);
      }
      b = Math.min(settings.batch(), Math.min(train.count(), validation.count()));
      loss = new SupernetLoss(net, b);
      hyper = new StructureHyperGradient(loss);
      weights = new Adam(w.length, settings.rate(), Double.POSITIVE_INFINITY);
      structure = new MetaUpdateRule(OptimizerKind.ADAM, settings.metaRate(),
          MetaOptimizerSettings.DEFAULT_CLIP);
      gradW = new double[w.length];
      hyperGradient = new double[logAlpha.length];
      order = IntStream.range(0, train.count()).toArray();
      valOrder = IntStream.range(0, validation.count()).toArray();
      stepsPerEpoch = (train.count() + b - 1) / b;
      total = (long) stepsPerEpoch * settings.epochs();
      from = train.count();
      valFrom = validation.count();
    }

    /** One step: the structure logits along the hypergradient, then the weights. */
    public void step() {
      if (from >= train.count()) {
        RandomPruning.shuffle(order, random);
        from = 0;
      }
      int rows = Math.min(b, train.count() - from);
      if (valFrom + b > validation.count()) {
        RandomPruning.shuffle(valOrder, random);
        valFrom = 0;
      }
      c = GumbelSoftmax.annealed(settings.fromTemperature(), settings.toTemperature(),
          Math.min(step, total), total);
      double[] noise = SupernetLoss.noise(net, random);
      double[] at = w;
      double[] blockKl = null;
      if (prior != null) {
        for (int k = 0; k < eps.length; k++) {
          eps[k] = random.nextGaussian();
        }
        VariationalSupernet.sample(w, rho, eps, sample);
        at = sample;
      }
      loss.evaluate(at, logAlpha, noise, c, train, order, from, rows, gradW, null);
      if (prior != null) {
        VariationalSupernet.sampleGradient(gradW, rho, eps, gradRho);
        double[] variances = variational.optimalPriorVariances(w, rho);
        // the KL's part of the weights' step also enters the virtual step below
        variational.addWeightGradient(logAlpha, w, rho, variances,
            prior.regularisation() / train.count(), gradW, gradRho);
        blockKl = variational.blockKl(w, rho, variances);
      }
      // the virtual step from the sample is the sample of the virtual step from μ (same ε)
      hyper.compute(at, logAlpha, noise, c, gradW,
          new StructureHyperGradient.Batch(train, order, from, rows),
          new StructureHyperGradient.Batch(validation, valOrder, valFrom, b), settings.rate(),
          hyperGradient);
      if (prior != null) {
        // Q's direct dependence on the logits: −c_prior·KL_struct/N
        variational.addLogitGradient(logAlpha, blockKl, prior.weight() / train.count(),
            hyperGradient);
      }
      if (term != null) {
        // the term depends on the logits alone, not through the weights' virtual step
        term.addGradient(logAlpha, hyperGradient);
      }
      double[] next = structure.step(logAlpha, hyperGradient, Double.NaN);
      System.arraycopy(next, 0, logAlpha, 0, next.length);
      weights.step(w, gradW);
      if (prior != null) {
        deviations.step(rho, gradRho);
      }
      from += rows;
      valFrom += b;
      step++;
    }

    /** Steps taken so far. */
    public long steps() {
      return step;
    }

    /** Steps in one pass over the training set. */
    public int stepsPerEpoch() {
      return stepsPerEpoch;
    }

    /** Steps in the settings' epochs, over which c is annealed. */
    public long scheduledSteps() {
      return total;
    }

    /** Where the search stands, with the structure logits of the given epochs. */
    public Outcome outcome(List<double[]> history) {
      return new Outcome(w.clone(), logAlpha.clone(), c, choice(net, logAlpha), history, step,
          (System.nanoTime() - start) / 1e9, rho == null ? null : rho.clone());
    }
  }

  /** The argmax of the structure logits on each edge. */
  public static int[] choice(Supernet net, double[] logAlpha) {
    int[] choice = new int[Supernet.EDGES];
    for (int e = 0; e < Supernet.EDGES; e++) {
      choice[e] = GumbelSoftmax.argmax(SupernetLoss.slice(logAlpha, net.offset(e),
          net.choices(e)));
    }
    return choice;
  }

}
