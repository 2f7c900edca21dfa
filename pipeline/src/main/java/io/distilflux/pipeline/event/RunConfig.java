package io.distilflux.pipeline.event;

/**
 * The resolved configuration of one student run, recorded in {@link RunStarted} so a run can
 * be understood and replayed without its command line.
 *
 * @param dataset which data the run trains on
 * @param dataDir folder the data was read from (empty for synthetic data)
 * @param mode which mode of docs/method.md §5 the run is
 * @param seed seed of the data order, initialisation and random λ
 * @param epochs passes over the student's training set
 * @param steps total training steps (epochs × batches per epoch)
 * @param batchSize mini-batch size (0: full batch)
 * @param teacher teacher architecture name
 * @param student student architecture name
 * @param innerOptimizer the student's optimizer
 * @param innerLearningRate the student's learning rate γ
 * @param metaOptimizer the meta-optimizer's update rule
 * @param metaLearningRate the meta learning rate η
 * @param metaClip per-component clip c of the hypergradient
 * @param miniEpoch E, steps per mini-epoch
 * @param forecastEvery n, mini-epochs per period (one hypergradient, n − 1 forecast)
 * @param initial the starting point b
 * @param temperatureSquared whether the KD term is multiplied by T² (Hinton); off in the paper
 * @param evaluateEvery evaluate every this many steps (and at the end)
 * @param maxStaleness how many steps training may run ahead of the meta-optimizer
 * @param validationIsTest use the test set as the validation set, as the paper did
 * @param dataSeed the seed of the data set, drawn by numpy's legacy generator in the reference
 *     notebook's order and shared by every seed of the experiment; null: the synthetic data are
 *     drawn from {@code seed} (one data set per seed). Absent before schema version 2.
 * @param divergence the distillation term; forward before schema version 2
 * @param inputs the user's files the run read (data, teacher, logits, student) with their
 *     SHA-256; empty for the built-in datasets and architectures, and before schema version 3
 * @param unrolledDerivative how the hypergradient differentiates the student's virtual step;
 *     exact before schema version 3
 * @param extraMeta the extra meta-parameters the run tunes ({@link ExtraParameter}), name →
 *     starting coordinate b; the only names the run's events may use. Empty before schema
 *     version 4
 */
public record RunConfig(
    DatasetKind dataset,
    String dataDir,
    Mode mode,
    long seed,
    int epochs,
    long steps,
    int batchSize,
    String teacher,
    String student,
    OptimizerKind innerOptimizer,
    double innerLearningRate,
    OptimizerKind metaOptimizer,
    double metaLearningRate,
    double metaClip,
    int miniEpoch,
    int forecastEvery,
    Unconstrained initial,
    boolean temperatureSquared,
    int evaluateEvery,
    int maxStaleness,
    boolean validationIsTest,
    Long dataSeed,
    Divergence divergence,
    java.util.List<InputFile> inputs,
    UnrolledDerivative unrolledDerivative,
    java.util.Map<String, Double> extraMeta) {

  /**
   * Checks the divergence and the unrolled derivative are named, copies the inputs, and checks
   * every extra meta-parameter is one this build knows, with a finite start.
   */
  public RunConfig {
    java.util.Objects.requireNonNull(divergence, "divergence");
    java.util.Objects.requireNonNull(unrolledDerivative, "unrolledDerivative");
    inputs = java.util.List.copyOf(inputs);
    extraMeta = Extras.copy(extraMeta, "extraMeta");
    extraMeta.forEach((name, b) -> {
      ExtraParameter.require(name);
      if (!Double.isFinite(b)) {
        throw new IllegalArgumentException("extraMeta." + name + " must be finite, got " + b);
      }
    });
  }

  /** A configuration without extra meta-parameters (schema version 3). */
  public RunConfig(DatasetKind dataset, String dataDir, Mode mode, long seed, int epochs,
      long steps, int batchSize, String teacher, String student, OptimizerKind innerOptimizer,
      double innerLearningRate, OptimizerKind metaOptimizer, double metaLearningRate,
      double metaClip, int miniEpoch, int forecastEvery, Unconstrained initial,
      boolean temperatureSquared, int evaluateEvery, int maxStaleness, boolean validationIsTest,
      Long dataSeed, Divergence divergence, java.util.List<InputFile> inputs,
      UnrolledDerivative unrolledDerivative) {
    this(dataset, dataDir, mode, seed, epochs, steps, batchSize, teacher, student, innerOptimizer,
        innerLearningRate, metaOptimizer, metaLearningRate, metaClip, miniEpoch, forecastEvery,
        initial, temperatureSquared, evaluateEvery, maxStaleness, validationIsTest, dataSeed,
        divergence, inputs, unrolledDerivative, java.util.Map.of());
  }

  /** A configuration whose hypergradient differentiates the virtual step exactly. */
  public RunConfig(DatasetKind dataset, String dataDir, Mode mode, long seed, int epochs,
      long steps, int batchSize, String teacher, String student, OptimizerKind innerOptimizer,
      double innerLearningRate, OptimizerKind metaOptimizer, double metaLearningRate,
      double metaClip, int miniEpoch, int forecastEvery, Unconstrained initial,
      boolean temperatureSquared, int evaluateEvery, int maxStaleness, boolean validationIsTest,
      Long dataSeed, Divergence divergence, java.util.List<InputFile> inputs) {
    this(dataset, dataDir, mode, seed, epochs, steps, batchSize, teacher, student, innerOptimizer,
        innerLearningRate, metaOptimizer, metaLearningRate, metaClip, miniEpoch, forecastEvery,
        initial, temperatureSquared, evaluateEvery, maxStaleness, validationIsTest, dataSeed,
        divergence, inputs, UnrolledDerivative.EXACT);
  }

  /** A configuration of schema version 2: no user files. */
  public RunConfig(DatasetKind dataset, String dataDir, Mode mode, long seed, int epochs,
      long steps, int batchSize, String teacher, String student, OptimizerKind innerOptimizer,
      double innerLearningRate, OptimizerKind metaOptimizer, double metaLearningRate,
      double metaClip, int miniEpoch, int forecastEvery, Unconstrained initial,
      boolean temperatureSquared, int evaluateEvery, int maxStaleness, boolean validationIsTest,
      Long dataSeed, Divergence divergence) {
    this(dataset, dataDir, mode, seed, epochs, steps, batchSize, teacher, student, innerOptimizer,
        innerLearningRate, metaOptimizer, metaLearningRate, metaClip, miniEpoch, forecastEvery,
        initial, temperatureSquared, evaluateEvery, maxStaleness, validationIsTest, dataSeed,
        divergence, java.util.List.of());
  }

  /**
   * A configuration of schema version 1: no data seed (data drawn from the run's seed) and the
   * forward divergence.
   */
  public RunConfig(DatasetKind dataset, String dataDir, Mode mode, long seed, int epochs,
      long steps, int batchSize, String teacher, String student, OptimizerKind innerOptimizer,
      double innerLearningRate, OptimizerKind metaOptimizer, double metaLearningRate,
      double metaClip, int miniEpoch, int forecastEvery, Unconstrained initial,
      boolean temperatureSquared, int evaluateEvery, int maxStaleness, boolean validationIsTest) {
    this(dataset, dataDir, mode, seed, epochs, steps, batchSize, teacher, student, innerOptimizer,
        innerLearningRate, metaOptimizer, metaLearningRate, metaClip, miniEpoch, forecastEvery,
        initial, temperatureSquared, evaluateEvery, maxStaleness, validationIsTest, null,
        Divergence.FORWARD);
  }

  /** The same configuration for another mode, seed, step count and starting point. */
  public RunConfig forRun(Mode runMode, long runSeed, long runSteps, Unconstrained start) {
    return new RunConfig(dataset, dataDir, runMode, runSeed, epochs, runSteps, batchSize,
        teacher, student, innerOptimizer, innerLearningRate, metaOptimizer, metaLearningRate,
        metaClip, miniEpoch, forecastEvery, start, temperatureSquared, evaluateEvery,
        maxStaleness, validationIsTest, dataSeed, divergence, inputs, unrolledDerivative,
        extraMeta);
  }

  /** The same configuration tuning these extra meta-parameters (name → starting b). */
  public RunConfig withExtraMeta(java.util.Map<String, Double> extras) {
    return new RunConfig(dataset, dataDir, mode, seed, epochs, steps, batchSize, teacher,
        student, innerOptimizer, innerLearningRate, metaOptimizer, metaLearningRate, metaClip,
        miniEpoch, forecastEvery, initial, temperatureSquared, evaluateEvery, maxStaleness,
        validationIsTest, dataSeed, divergence, inputs, unrolledDerivative, extras);
  }

  /** The user's file of this role, if the run read one. */
  public java.util.Optional<InputFile> input(String role) {
    return inputs.stream().filter(file -> file.role().equals(role)).findFirst();
  }

  /**
   * How the one-step hypergradient differentiates the student's virtual step w' = w − Δ(g)
   * (docs/method.md §2).
   */
  public enum UnrolledDerivative {
    /** The inner optimizer's own derivative ∂Δ/∂g: γ for SGD, Adam's preconditioner for Adam. */
    EXACT,
    /**
     * As if the step were w − γ g whatever the optimizer: the reference code's approximation,
     * which leaves Adam's preconditioner out of the hypergradient (the virtual step itself is
     * still the optimizer's).
     */
    SGD;

    /** The command-line spelling. */
    public String cliName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The distillation term D of the training loss (docs/method.md §1). */
  public enum Divergence {
    /** CE(softmax(f/T), softmax(z/T)): the paper's equation (forward KL up to a constant). */
    FORWARD,
    /** KL(softmax(z/T) ‖ softmax(f/T)): what the reference code computes. */
    REVERSE;

    /** The command-line spelling. */
    public String cliName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The modes compared in docs/method.md §5 (fig. 10 of the paper). */
  public enum Mode {
    /** λ = (1, 0, ·): plain cross-entropy. */
    NO_DISTILLATION,
    /** Distillation with fixed λ. */
    FIXED,
    /** λ drawn once at random and not optimised. */
    RANDOM,
    /** Hypergradient every step. */
    HYPERGRADIENT,
    /** Hypergradient with the linear trajectory prediction (the paper's method). */
    FORECAST;

    /** Whether runs of this mode talk to the meta-optimizer. */
    public boolean optimisesMeta() {
      return this == HYPERGRADIENT || this == FORECAST;
    }

    /** The command-line spelling, for example {@code no-distillation}. */
    public String cliName() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  /** Datasets the trainer reads. */
  public enum DatasetKind {
    /** The synthetic data of docs/method.md §5. */
    SYNTHETIC,
    /** CIFAR-10 binary batches. */
    CIFAR10,
    /** MNIST idx files. */
    MNIST,
    /** The user's CSV files: a header row, a {@code label} column, numeric features. */
    CSV,
    /** The user's NumPy {@code .npy} files, features and labels per split. */
    NPY
  }

  /** Update rules of the inner and the meta optimisers. */
  public enum OptimizerKind {
    /** Plain gradient descent. */
    SGD,
    /** Adam (β1 = 0.9, β2 = 0.999, ε = 1e-8). */
    ADAM,
    /**
     * Meta-optimizer only: gradient descent at the rate η / ‖v‖², v the validation gradient of
     * the hypergradient's step; the reference implementation's update in effect.
     */
    NORMALIZED;

    /** Whether the student's optimizer may use this rule. */
    public boolean isInner() {
      return this != NORMALIZED;
    }
  }

  /** The phase a step belongs to under this configuration (docs/method.md §4). */
  public Phase phaseOf(long step) {
    return switch (mode) {
      case NO_DISTILLATION, FIXED, RANDOM -> Phase.FIXED;
      case HYPERGRADIENT -> Phase.HYPERGRADIENT;
      case FORECAST -> (step % ((long) miniEpoch * forecastEvery)) < miniEpoch
          ? Phase.HYPERGRADIENT
          : Phase.FORECAST;
    };
  }

  /**
   * The first step after {@code step} whose phase is {@link Phase#HYPERGRADIENT}, so the step of
   * the next hypergradient a run publishes after that of {@code step} ({@code -1} for its first);
   * {@link Long#MAX_VALUE} for modes without hypergradients.
   */
  public long nextHyperGradientStep(long step) {
    long next = Math.max(0, step + 1);
    return switch (mode) {
      case NO_DISTILLATION, FIXED, RANDOM -> Long.MAX_VALUE;
      case HYPERGRADIENT -> next;
      case FORECAST -> {
        long period = (long) miniEpoch * forecastEvery;
        yield next % period < miniEpoch ? next : (next / period + 1) * period;
      }
    };
  }
}
