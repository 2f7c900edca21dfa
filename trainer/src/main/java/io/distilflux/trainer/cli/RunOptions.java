package io.distilflux.trainer.cli;

import io.distilflux.pipeline.Topics;

import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.pipeline.event.InputFile;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.DatasetKind;
import io.distilflux.pipeline.event.RunConfig.Divergence;
import io.distilflux.pipeline.event.RunConfig.UnrolledDerivative;
import io.distilflux.pipeline.event.RunConfig.Mode;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.kafka.KafkaConnection;
import io.distilflux.trainer.model.StudentArchitectures;
import io.distilflux.trainer.model.StudentFile;
import io.distilflux.trainer.run.Checkpointing;
import io.distilflux.trainer.run.InputSources;
import io.distilflux.trainer.run.OnMetaTimeout;
import io.distilflux.trainer.teacher.TeacherArchitectures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The settings of an experiment as typed flags, shared by {@code run} and {@code experiment}:
 * a picocli mixin. Values not given as flags come from the {@code --config} file or the
 * {@code --protocol} ({@link ConfigFileDefaults}), then from each option's default; the options
 * whose default depends on the dataset stay empty until {@link #spec()} resolves them with the
 * dataset's {@link DatasetDefaults}.
 */
public final class RunOptions {

  /** The largest seed (restart number) a run on a {@code --data-seed} data set may have. */
  static final long MAX_RESTART = 1_000_000;

  @Spec(Spec.Target.MIXEE) CommandSpec command;

  @Option(names = ConfigFileDefaults.CONFIG, paramLabel = "FILE",
      description = "Experiment file, YAML (.yaml, .yml) or .properties, whose keys are the long flag names (mini-epoch: 10); flags override it (default: none).")
  Path config;

  @Option(names = "--dataset", converter = KebabEnumConverter.Datasets.class,
      paramLabel = "NAME", defaultValue = "synthetic",
      description = "synthetic, cifar10, mnist, or the user's files: csv (--train, --validation, --test) or npy (--train-x, --train-y, …) (default ${DEFAULT-VALUE}).")
  DatasetKind dataset;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Folder of the dataset files, CIFAR-10 binary batches or MNIST idx files (default: cifar10 data/cifar-10-batches-bin, mnist data/mnist).")
  Path dataDir;

  @Mixin DataFileOptions dataFiles = new DataFileOptions();

  @Option(names = "--teacher-logits", paramLabel = "FILE",
      description = "Logits of a teacher run elsewhere, a .npy array [n_train + n_validation, K]: training rows, then validation rows, in file order; replaces --teacher (default: none).")
  Path teacherLogits;

  @Option(names = "--save-student", paramLabel = "FILE",
      description = "Save each run's trained student as a DL4J ModelSerializer .zip (FILE for a single run, FILE with -<run id> before .zip for several), with its meta-parameter trajectory (.trajectory.csv) and resolved settings (.settings.json) beside it (default: none).")
  Path saveStudent;

  @Option(names = "--modes", paramLabel = "LIST", defaultValue = "all",
      converter = ModeList.Converter.class,
      description = "Comma list of no-distillation, fixed, random, hypergradient, forecast, or all (default ${DEFAULT-VALUE}).")
  ModeList modes;

  @Bounds(min = 1, max = 1000)
  @Option(names = "--seeds", paramLabel = "N", defaultValue = "5",
      description = "Seeds per mode, 1 to 1000 (default ${DEFAULT-VALUE}).")
  int seeds;

  @Option(names = "--first-seed", paramLabel = "S", defaultValue = "42",
      description = "First seed; runs use S, S+1, … (default ${DEFAULT-VALUE}).")
  long firstSeed;

  @Bounds(min = 1, max = 1_000_000)
  @Option(names = "--epochs", paramLabel = "N",
      description = "Epochs of student training, all but synthetic (default: cifar10 100, mnist 10, csv 10, npy 10).")
  Integer epochs;

  @Bounds(min = 1)
  @Option(names = "--iterations", paramLabel = "N", defaultValue = "20000",
      description = "Full-batch iterations of the synthetic experiment (default ${DEFAULT-VALUE}).")
  long iterations;

  @Bounds(min = 0, max = 1_000_000)
  @Option(names = "--batch-size", paramLabel = "B",
      description = "Mini-batch size; 0: the full batch (default: synthetic 0, cifar10 128, mnist 128, csv 128, npy 128).")
  Integer batchSize;

  @Option(names = "--teacher", paramLabel = "ARCH",
      description = "Teacher architecture trained here (logreg, cifar-tiny, mnist-mlp), or a trained teacher's file: a DL4J ModelSerializer .zip or a Keras Sequential .h5 (default: synthetic logreg, cifar10 cifar-tiny, mnist mnist-mlp, csv mnist-mlp, npy mnist-mlp).")
  String teacher;

  @Option(names = "--student", paramLabel = "ARCH",
      description = "Student architecture (logreg, cifar-very-tiny, mnist-mlp-small), or a DL4J MultiLayerConfiguration file, .json or .yaml, ending in a dense identity layer of K outputs (default: synthetic logreg, cifar10 cifar-very-tiny, mnist mnist-mlp-small, csv mnist-mlp-small, npy mnist-mlp-small).")
  String student;

  @Option(names = "--optimizer", converter = KebabEnumConverter.Optimizers.class,
      paramLabel = "KIND",
      description = "The student's optimizer, sgd or adam (default: synthetic adam, cifar10 adam, mnist adam, csv adam, npy adam).")
  OptimizerKind optimizer;

  @Bounds(min = 0, minExclusive = true)
  @Option(names = "--lr", paramLabel = "γ",
      description = "The student's learning rate, > 0 (default: synthetic 0.001, cifar10 0.001, mnist 0.001, csv 0.001, npy 0.001).")
  Double lr;

  @Option(names = "--meta-optimizer", converter = KebabEnumConverter.Optimizers.class,
      paramLabel = "KIND",
      description = "Meta-optimizer rule (docs/method.md §3): sgd, adam, or normalized, the reference code's step η/‖v‖² (default: synthetic normalized, cifar10 sgd, mnist sgd, csv sgd, npy sgd).")
  OptimizerKind metaOptimizer;

  @Bounds(min = 0, minExclusive = true)
  @Option(names = "--meta-lr", paramLabel = "η",
      description = "Meta learning rate, > 0 (default: synthetic 10.0, cifar10 1.0, mnist 1.0, csv 1.0, npy 1.0).")
  Double metaLr;

  @Bounds(min = 0, minExclusive = true)
  @Option(names = "--meta-clip", paramLabel = "C",
      description = "Clip of each hypergradient component, > 0 (default: synthetic 10000.0, cifar10 1.0, mnist 1.0, csv 1.0, npy 1.0).")
  Double metaClip;

  @Bounds(min = 2, max = 1_000_000)
  @Option(names = "--mini-epoch", paramLabel = "E",
      description = "Steps per mini-epoch, ≥ 2 (default: synthetic 10, cifar10 10, mnist 10, csv 10, npy 10).")
  Integer miniEpoch;

  @Bounds(min = 2, max = 1_000_000)
  @Option(names = "--forecast-every", paramLabel = "n", defaultValue = "2",
      description = "Mini-epochs per period, ≥ 2: one hypergradient, n − 1 forecast (default ${DEFAULT-VALUE}).")
  int forecastEvery;

  @Bounds(min = 0, max = 1)
  @Option(names = "--lambda2", paramLabel = "λ2", defaultValue = "0.9914",
      description = "λ2 of the fixed mode, in [0, 1]; λ1 = 1 − λ2 (default ${DEFAULT-VALUE}).")
  double lambda2;

  @Bounds(min = Unconstrained.T_MIN, max = Unconstrained.T_MAX)
  @Option(names = "--temperature", paramLabel = "T", defaultValue = "6.5",
      description = "T of the fixed mode, in [0.1, 10] (default ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--complexity-weight", paramLabel = "λc",
      description = "Train the student as a variational network (docs/complexity.md §4): its loss adds λc·KL(q‖p)/N, and λc, strictly between 0.1 and 100, is a fourth meta-parameter starting here, tuned with λ1, λ2, T in the hypergradient and forecast modes and fixed in the others. The student must be plain dense layers with ReLU hidden layers (logreg, mnist-mlp-small); its runs take no checkpoints (default: none, a plain student).")
  Double complexityWeight;

  @Option(names = "--structure-search", paramLabel = "BOOL", arity = "0..1",
      fallbackValue = "true", defaultValue = "false",
      description = "Train the standard supernet (widths 100, 50 or 10, then a linear or a 100-unit ReLU output block; docs/structure.md §7) in place of the student: its five structure logits logAlpha0…logAlpha4, starting at 0, are extra meta-parameters moved by the meta-optimizer along their one-step hypergradient in the hypergradient and forecast modes. The supernet trains on the labels alone, so λ1, λ2 and T do not enter its loss; its runs take no checkpoints (default ${DEFAULT-VALUE}).")
  boolean structureSearch;

  @Option(names = "--temperature-squared", paramLabel = "BOOL", arity = "0..1",
      fallbackValue = "true", defaultValue = "false",
      description = "Multiply the distillation term by T² (Hinton); off by default, as in the paper (default ${DEFAULT-VALUE}).")
  boolean temperatureSquared;

  @Bounds(min = 0, max = Integer.MAX_VALUE)
  @Option(names = "--evaluate-every", paramLabel = "K",
      description = "Evaluate every K steps and at the end (default: synthetic 1000, cifar10 79, mnist 100, csv 100, npy 100).")
  Integer evaluateEvery;

  @Bounds(min = 0, max = 1_000_000)
  @Option(names = "--max-staleness", paramLabel = "K", defaultValue = "0",
      description = "Let training run up to K steps ahead of the meta-optimizer (default ${DEFAULT-VALUE}: wait).")
  int maxStaleness;

  @Option(names = "--validation-is-test", paramLabel = "BOOL", arity = "0..1",
      fallbackValue = "true", defaultValue = "false",
      description = "Use the test set as validation set, as the paper did on the synthetic data (default ${DEFAULT-VALUE}).")
  boolean validationIsTest;

  @Bounds(min = 0, max = 4294967295L)
  @Option(names = "--data-seed", paramLabel = "D",
      description = "Synthetic: draw the data set with numpy's legacy generator seeded D (0 to 4294967295), in the reference notebook's order, one data set for every seed (seeds are then restarts: initial weights and starting λ). Default: each seed draws its own data set.")
  Long dataSeed;

  @Option(names = "--divergence", converter = KebabEnumConverter.Divergences.class,
      paramLabel = "KIND",
      description = "Distillation term: forward (the paper's CE(teacher, student)) or reverse (KL(student ‖ teacher), the reference code's) (default: synthetic reverse, cifar10 forward, mnist forward, csv forward, npy forward).")
  Divergence divergence;

  @Option(names = "--unrolled-derivative", converter = KebabEnumConverter.UnrolledDerivatives.class,
      paramLabel = "KIND",
      description = "How the hypergradient differentiates the student's virtual step (docs/method.md §2): exact (the optimizer's own derivative, Adam's preconditioner included) or sgd (as if the step were w − γ·g, the reference code's approximation; the same as exact for an SGD student) (default: synthetic sgd, cifar10 exact, mnist exact, csv exact, npy exact).")
  UnrolledDerivative unrolledDerivative;

  @Option(names = ConfigFileDefaults.PROTOCOL, converter = KebabEnumConverter.Protocols.class,
      paramLabel = "NAME",
      description = "paper: the reference notebook's synthetic protocol (data seed 42, restarts 0..9, Adam 1e-3, validation = test, E=10, n=2, reverse, unrolled derivative sgd, normalized η=10); flags and the --config file override its values (default: none).")
  Protocol protocol;

  @Option(names = "--transport", converter = KebabEnumConverter.Transports.class,
      paramLabel = "KIND", defaultValue = "kafka",
      description = "kafka or direct (in-memory, no broker) (default ${DEFAULT-VALUE}).")
  ExperimentSpec.Transport transport;

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
      description = "External Kafka cluster (default: none, an embedded broker is started).")
  String bootstrapServers;

  @Option(names = "--kafka-config", paramLabel = "FILE",
      description = "Kafka client properties of the --bootstrap-servers cluster for every "
          + "producer, consumer and admin client (security.protocol, sasl.*, ssl.*; default: none, plaintext).")
  Path kafkaConfig;

  @Bounds(min = 0, max = 1e9)
  @Option(names = "--meter-retention", paramLabel = "SECONDS", defaultValue = "600",
      description = "How long a finished run's meters stay on /metrics (default ${DEFAULT-VALUE}).")
  double meterRetention;

  @Option(names = "--kafka-dir", paramLabel = "DIR",
      description = "Log folder of the embedded broker, kept so recorded runs survive (default: temporary).")
  Path kafkaDir;

  @Option(names = "--topic-prefix", paramLabel = "P", defaultValue = "distilflux.",
      description = "Prefix of every topic (default ${DEFAULT-VALUE}).")
  String topicPrefix;

  @Option(names = "--output", paramLabel = "DIR", defaultValue = "runs",
      description = "Results and teacher cache folder (default ${DEFAULT-VALUE}; experiment: experiments/DATASET).")
  Path output;

  @Bounds(min = 0, max = 65535)
  @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "9464",
      description = "Port of the /metrics and /health endpoint; 0: any free port (default ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--services", converter = KebabEnumConverter.ServiceSites.class,
      paramLabel = "WHERE", defaultValue = "in-process",
      description = "in-process: meta-optimizer and monitor in this process; external: they run as their own services on the --bootstrap-servers cluster (default ${DEFAULT-VALUE}).")
  ExperimentSpec.Services services;

  @Bounds(min = 0, minExclusive = true)
  @Option(names = "--meta-timeout", paramLabel = "SECONDS", defaultValue = "60",
      description = "How long a run waits for an update or a forecast before it fails (default ${DEFAULT-VALUE}).")
  double metaTimeout;

  @Bounds(min = 1, max = 256)
  @Option(names = "--parallel", paramLabel = "N",
      description = "Runs trained at once, 1 to 256 (default: every run of the experiment, at most 64, for a small student whose runs mostly wait on the bus; the number of cores otherwise). At most as many compute at once as there are cores; a run waiting for its update holds none.")
  Integer parallel;

  @Bounds(min = 1, max = 256)
  @Option(names = "--compute-threads", paramLabel = "N",
      description = "Threads of one run's student step, 1 to 256 (native-ops students use at most 2; the numbers never depend on it). Default: the cores divided between the runs trained at once.")
  Integer computeThreads;

  @Bounds(min = 1, max = 100_000)
  @Option(names = "--teacher-epochs", paramLabel = "N",
      description = "Epochs of a teacher trained here, all but synthetic (default: cifar10 30, mnist 5, csv 5, npy 5).")
  Integer teacherEpochs;

  @Bounds(min = 1, max = 10_000_000)
  @Option(names = "--teacher-steps", paramLabel = "N", defaultValue = "10000",
      description = "Full-batch Adam steps of the synthetic teacher (default ${DEFAULT-VALUE}, the reference's; fewer for quick runs).")
  int teacherSteps;

  @Bounds(min = 0, max = Integer.MAX_VALUE)
  @Option(names = "--train-size", paramLabel = "N", defaultValue = "0",
      description = "Student training examples (default ${DEFAULT-VALUE}: the dataset's).")
  int trainSize;

  @Bounds(min = 0, max = Integer.MAX_VALUE)
  @Option(names = "--validation-size", paramLabel = "N", defaultValue = "0",
      description = "Validation examples (default ${DEFAULT-VALUE}: the dataset's).")
  int validationSize;

  @Bounds(min = 0, max = Integer.MAX_VALUE)
  @Option(names = "--test-size", paramLabel = "N", defaultValue = "0",
      description = "Test examples (default ${DEFAULT-VALUE}: the dataset's).")
  int testSize;

  @Bounds(min = 0, max = Integer.MAX_VALUE)
  @Option(names = "--checkpoint-every", paramLabel = "N",
      defaultValue = "" + Checkpointing.DEFAULT_EVERY,
      description = "Checkpoint every N steps and at the end, under OUTPUT/checkpoints/<run id>/; 0: off (default ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Bounds(min = 1, max = 1_000_000)
  @Option(names = "--keep-checkpoints", paramLabel = "K",
      defaultValue = "" + Checkpointing.DEFAULT_KEEP,
      description = "Checkpoints kept per run, the newest (default ${DEFAULT-VALUE}).")
  int keepCheckpoints;

  @Option(names = "--resume", paramLabel = "DIR",
      description = "Continue the run of this checkpoint folder (OUTPUT/checkpoints/<run id>) under the same run id; the run's settings come from the checkpoint (default: none, a new run).")
  Path resume;

  @Option(names = "--on-meta-timeout", converter = KebabEnumConverter.MetaTimeoutActions.class,
      paramLabel = "ACTION", defaultValue = "fail",
      description = "fail: a late update or forecast ends the run; hold: train on with the last λ (default ${DEFAULT-VALUE}).")
  OnMetaTimeout onMetaTimeout;

  @Bounds(min = 0, max = 1_000_000)
  @Option(names = "--run-ahead", paramLabel = "STEPS",
      defaultValue = "" + io.distilflux.trainer.run.LongRunOptions.DEFAULT_RUN_AHEAD,
      description = "Let a hypergradient run train up to STEPS steps ahead of the meta-optimizer on updates it computes with the same rule, each checked against the meta-optimizer's when it arrives (the same numbers as waiting); 0: wait for each update (default ${DEFAULT-VALUE}).")
  int runAhead;


  @Bounds(min = 0, max = 3600)
  @Option(names = "--final-scrape-wait", paramLabel = "SECONDS", defaultValue = "15",
      description = "Keep /metrics up this long after the last run ends, or until it is scraped once more; 0: close at once (default ${DEFAULT-VALUE}).")
  double finalScrapeWait;

  @Bounds(min = 0, max = 86_400)
  @Option(names = "--reclaim-every", paramLabel = "SECONDS", defaultValue = "30",
      description = "Collect garbage every SECONDS while runs train, so the native memory of dead ND4J arrays is freed and the heap shrinks; 0: never (default ${DEFAULT-VALUE}).")
  double reclaimEvery;

  /**
   * The experiment of {@code run}: the options resolved and checked.
   *
   * @throws IllegalArgumentException with a one-line message naming the offending flag
   */
  ExperimentSpec spec() {
    return resolve(dataset, output);
  }

  /**
   * The experiment of {@code experiment DATASET}: its dataset, and its output under
   * {@code experiments/DATASET} unless given.
   *
   * @throws IllegalArgumentException with a one-line message naming the offending flag
   */
  ExperimentSpec spec(DatasetKind experiment) {
    if (given("--dataset") && dataset != experiment) {
      throw new IllegalArgumentException("--dataset " + KebabEnumConverter.name(dataset)
          + from("--dataset") + " contradicts the experiment " + KebabEnumConverter.name(experiment));
    }
    return resolve(experiment,
        given("--output") ? output : Path.of("experiments", KebabEnumConverter.name(experiment)));
  }

  /** The protocol named, if any. */
  Optional<Protocol> protocol() {
    return Optional.ofNullable(protocol);
  }

  /**
   * The experiment of {@code run} with these flags (long names without dashes, and their
   * values), parsed as the command line parses them; for tests and benchmarks.
   *
   * @throws IllegalArgumentException with the line the command line would print
   */
  public static ExperimentSpec parse(Map<String, String> flags) {
    RunCommand run = new RunCommand();
    CommandLine commandLine = new CommandLine(run);
    String[] args = flags.entrySet().stream()
        .map(flag -> "--" + flag.getKey() + "=" + flag.getValue())
        .toArray(String[]::new);
    try {
      commandLine.parseArgs(args);
    } catch (ParameterException e) {
      throw new IllegalArgumentException(Distilflux.message(e), e);
    }
    return run.options.spec();
  }

  /** Whether an option was given as a flag, in the file or by the protocol. */
  private boolean given(String name) {
    return command.commandLine().getParseResult().hasMatchedOption(name)
        || ConfigFileDefaults.origin(command, name).isPresent();
  }

  /** " (config file F)" or " (protocol P)" for a value that did not come from a flag. */
  private String from(String name) {
    return ConfigFileDefaults.origin(command, name).map(o -> " (" + o + ")").orElse("");
  }

  private ExperimentSpec resolve(DatasetKind dataset, Path output) {
    OptionBounds.check(this, name -> ConfigFileDefaults.origin(command, name));
    DatasetDefaults d = DatasetDefaults.of(dataset);
    OptimizerKind inner = or(optimizer, d.optimizer());
    if (!inner.isInner()) {
      throw new IllegalArgumentException("--optimizer '" + KebabEnumConverter.name(inner)
          + "' is a meta-optimizer rule (the student's optimizer is sgd or adam)" + from("--optimizer"));
    }
    List<Long> seedList = new ArrayList<>();
    for (int i = 0; i < seeds; i++) {
      seedList.add(firstSeed + i);
    }
    if (dataSeed != null) {
      if (dataset != DatasetKind.SYNTHETIC) {
        throw new IllegalArgumentException(
            "--data-seed applies to the synthetic data only" + from("--data-seed"));
      }
      // with a data set of its own, a seed is a restart: the notebook's restart number
      if (firstSeed < 0 || firstSeed + seeds - 1 > MAX_RESTART) {
        throw new IllegalArgumentException("--first-seed with --data-seed the seeds are restarts 0.."
            + MAX_RESTART + ", got " + firstSeed + ".." + (firstSeed + seeds - 1));
      }
    }
    Optional<String> bootstrap = Optional.ofNullable(bootstrapServers).map(String::trim);
    if (bootstrap.isPresent() && transport == ExperimentSpec.Transport.DIRECT) {
      throw new IllegalArgumentException(
          "--bootstrap-servers cannot be combined with --transport direct");
    }
    if (bootstrap.isPresent() && kafkaDir != null) {
      throw new IllegalArgumentException(
          "--kafka-dir is for the embedded broker; it cannot be combined with --bootstrap-servers");
    }
    bootstrap.ifPresent(RunOptions::checkBootstrap);
    if (kafkaConfig != null) {
      if (bootstrap.isEmpty()) {
        throw new IllegalArgumentException(
            "--kafka-config goes with --bootstrap-servers; the embedded broker needs none");
      }
      // Read now: a missing file or a reserved property is reported before anything starts.
      KafkaConnection.withConfigFile(bootstrap.get(), kafkaConfig);
    }
    if (services == ExperimentSpec.Services.EXTERNAL && bootstrap.isEmpty()) {
      throw new IllegalArgumentException(
          "--services external needs --bootstrap-servers: the services must reach the same cluster");
    }
    if (resume != null && !Files.isDirectory(resume)) {
      throw new IllegalArgumentException("--resume folder not found: " + resume);
    }
    if ((dataset == DatasetKind.CSV || dataset == DatasetKind.NPY) && dataDir != null) {
      throw new IllegalArgumentException("--data-dir is for cifar10 and mnist; --dataset "
          + KebabEnumConverter.name(dataset) + " names its files with their own flags"
          + from("--data-dir"));
    }
    List<InputFile> inputs = UserInputs.dataFiles(dataset, dataFiles.csv(), dataFiles.npy());
    String teacherName = or(teacher, d.teacher()).trim();
    if (teacherLogits != null) {
      if (given("--teacher")) {
        throw new IllegalArgumentException(
            "--teacher-logits replaces --teacher; give one of them" + from("--teacher"));
      }
      inputs.add(UserInputs.file("--teacher-logits", InputSources.TEACHER_LOGITS, teacherLogits));
      teacherName = teacherLogits.getFileName().toString();
    } else if (UserInputs.isModelFile(teacherName)) {
      inputs.add(UserInputs.file("--teacher", InputSources.TEACHER, Path.of(teacherName)));
    } else {
      teacherName = architecture("--teacher", teacherName,
          TeacherArchitectures.withDefaults().names());
    }
    String studentName = or(student, d.student()).trim();
    if (StudentFile.accepts(studentName)) {
      inputs.add(UserInputs.file("--student", InputSources.STUDENT, Path.of(studentName)));
    } else {
      studentName = architecture("--student", studentName,
          StudentArchitectures.withDefaults().names());
    }
    MetaValues fixed = new MetaValues(1 - lambda2, lambda2, temperature);
    RunConfig base = new RunConfig(dataset, dataDir == null ? d.dataDir() : dataDir.toString(),
        Mode.FORECAST, firstSeed, or(epochs, d.epochs()),
        dataset == DatasetKind.SYNTHETIC ? iterations : 0, or(batchSize, d.batchSize()),
        teacherName, studentName, inner,
        or(lr, d.lr()), or(metaOptimizer, d.meta().rule()), or(metaLr, d.meta().lr()),
        or(metaClip, d.meta().clip()), or(miniEpoch, d.miniEpoch()),
        forecastEvery, Unconstrained.fromValues(fixed), temperatureSquared,
        or(evaluateEvery, d.evaluateEvery()), maxStaleness, validationIsTest, dataSeed,
        or(divergence, d.meta().divergence()), inputs,
        or(unrolledDerivative, d.meta().unrolled()));
    if (structureSearch) {
      base = base.withExtraMeta(structureLogits());
    }
    if (complexityWeight != null) {
      base = base.withExtraMeta(Map.of(ExtraParameter.COMPLEXITY.jsonName(),
          complexityCoordinate(complexityWeight)));
    }
    new Topics(topicPrefix); // a prefix Kafka would refuse is one line before anything starts
    return new ExperimentSpec(base, modes.modes(), List.copyOf(seedList), fixed, transport,
        bootstrap, Optional.ofNullable(kafkaDir), topicPrefix, output, metricsPort, services,
        Duration.ofMillis((long) (metaTimeout * 1000)),
        // 0: chosen from the work when the runs start (ExperimentSpec.parallelRuns(int, long))
        or(parallel, 0),
        // 0: chosen from the cores when the runs start (ExperimentSpec.computeThreads(int))
        or(computeThreads, 0), or(teacherEpochs, d.teacherEpochs()), teacherSteps,
        new ExperimentSpec.SplitSizes(trainSize, validationSize, testSize),
        // a variational student's ρ and moments, a supernet's weights are not in a checkpoint
        new ExperimentSpec.LongRun(complexityWeight != null || structureSearch ? 0 : checkpointEvery, keepCheckpoints, Optional.ofNullable(resume),
            onMetaTimeout, runAhead, seconds(finalScrapeWait), seconds(reclaimEvery)),
        Optional.ofNullable(kafkaConfig), Duration.ofMillis((long) (meterRetention * 1000)),
        Optional.ofNullable(saveStudent));
  }

  /** The standard supernet's structure logits at 0, checked against the other options. */
  private Map<String, Double> structureLogits() {
    if (complexityWeight != null) {
      throw new IllegalArgumentException("--structure-search cannot be combined with"
          + " --complexity-weight" + from("--structure-search"));
    }
    if (given("--checkpoint-every") && checkpointEvery > 0 || resume != null) {
      throw new IllegalArgumentException("--structure-search cannot be combined with"
          + " --checkpoint-every or --resume: a supernet student is not checkpointed"
          + from("--checkpoint-every"));
    }
    Map<String, Double> logits = new java.util.TreeMap<>();
    int count = io.distilflux.trainer.structure.Supernet.standard(1, 2).structureSize();
    for (int i = 0; i < count; i++) {
      logits.put(ExtraParameter.structureLogit(i).jsonName(), 0.0);
    }
    return logits;
  }

  /** b4 of a starting λ_c, with the flag named when it is out of range or checkpoints are on. */
  private double complexityCoordinate(double lambdaC) {
    if (given("--checkpoint-every") && checkpointEvery > 0 || resume != null) {
      throw new IllegalArgumentException("--complexity-weight cannot be combined with"
          + " --checkpoint-every or --resume: a variational student is not checkpointed"
          + from("--checkpoint-every"));
    }
    try {
      return ExtraParameter.COMPLEXITY.coordinate(lambdaC);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--complexity-weight must lie strictly between 0.1 and"
          + " 100, got " + lambdaC + from("--complexity-weight"));
    }
  }

  /** A registered architecture's name, checked here so a typo fails before anything starts. */
  private String architecture(String flag, String name, Set<String> known) {
    if (!known.contains(name)) {
      throw new IllegalArgumentException(flag + " unknown architecture '" + name + "' (one of "
          + String.join(", ", known) + ")" + from(flag));
    }
    return name;
  }

  private static Duration seconds(double seconds) {
    return Duration.ofMillis(Math.round(seconds * 1000));
  }

  private static <T> T or(T value, T fallback) {
    return value == null ? fallback : value;
  }

  private static void checkBootstrap(String servers) {
    for (String server : servers.split(",")) {
      int colon = server.lastIndexOf(':');
      boolean ok = colon > 0 && colon < server.length() - 1;
      if (ok) {
        try {
          int port = Integer.parseInt(server.substring(colon + 1).trim());
          ok = port > 0 && port < 65536;
        } catch (NumberFormatException e) {
          ok = false;
        }
      }
      if (!ok) {
        throw new IllegalArgumentException(
            "--bootstrap-servers expects host:port[,host:port…], got '" + servers + "'");
      }
    }
  }
}
