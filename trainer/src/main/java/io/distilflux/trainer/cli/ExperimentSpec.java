package io.distilflux.trainer.cli;

import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.data.SyntheticData;
import io.distilflux.trainer.run.Checkpointing;
import io.distilflux.trainer.run.FixedMetaSource;
import io.distilflux.trainer.run.OnMetaTimeout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A validated experiment: which runs to train (modes × seeds over one base configuration) and
 * where they talk and write.
 *
 * @param base the configuration shared by every run; mode and seed are set per run
 * @param modes the modes to run
 * @param seeds the seeds to run each mode with
 * @param fixedMeta λ of the fixed-λ distillation mode
 * @param transport how the trainer reaches the services
 * @param bootstrapServers an external Kafka cluster, or empty for the embedded broker
 * @param kafkaDir log folder of the embedded broker (kept), or empty for a temporary one
 * @param topicPrefix prefix of every topic name
 * @param outputDir where results and teacher caches are written
 * @param metricsPort port of the monitor's scrape endpoint (0: any free port)
 * @param services whether the meta-optimizer and the monitor run in this process
 * @param metaTimeout how long a run waits for an update or forecast before it fails
 * @param parallelRuns how many runs train at once, or 0 to choose from the work
 *     ({@link #parallelRuns(int, long)})
 * @param computeThreads threads of one run's student step, or 0 to choose them from the cores
 *     ({@link #computeThreads(int)})
 * @param teacherEpochs epochs of teacher training (image datasets)
 * @param teacherSteps full-batch steps of the synthetic teacher
 * @param splits the sizes of the data splits
 * @param longRun checkpoints, resume and the meta-timeout policy
 * @param kafkaConfig Kafka client properties (security) of the {@code bootstrapServers}
 *     cluster, or empty
 * @param meterRetention how long a finished run's meters stay on {@code /metrics}
 * @param saveStudent where each run's trained student is saved ({@code ModelSerializer} zip),
 *     or empty
 */
public record ExperimentSpec(
    RunConfig base,
    List<RunConfig.Mode> modes,
    List<Long> seeds,
    MetaValues fixedMeta,
    Transport transport,
    Optional<String> bootstrapServers,
    Optional<Path> kafkaDir,
    String topicPrefix,
    Path outputDir,
    int metricsPort,
    Services services,
    Duration metaTimeout,
    int parallelRuns,
    int computeThreads,
    int teacherEpochs,
    int teacherSteps,
    SplitSizes splits,
    LongRun longRun,
    Optional<Path> kafkaConfig,
    Duration meterRetention,
    Optional<Path> saveStudent) {

  /**
   * Settings of long runs.
   *
   * @param checkpointEvery steps between checkpoints (and one at the end); 0: none
   * @param keepCheckpoints how many checkpoints of a run are kept
   * @param resume a run's checkpoint folder to continue, or empty
   * @param onMetaTimeout fail, or hold the last λ, when an update or forecast is late
   * @param runAhead how many steps a hypergradient run may train ahead of the meta-optimizer on
   *     updates it computes itself; 0: each waits for its update
   * @param finalScrapeWait how long the in-process {@code /metrics} stays up after the last run
   *     ends, unless a scrape comes first (zero: closed at once)
   * @param reclaimEvery period of the native-memory reclaim while runs train (zero: none; see
   *     {@link io.distilflux.trainer.memory.NativeMemoryReclaimer})
   */
  public record LongRun(
      int checkpointEvery, int keepCheckpoints, Optional<Path> resume,
      OnMetaTimeout onMetaTimeout, int runAhead, Duration finalScrapeWait,
      Duration reclaimEvery) {

    /** Prometheus's default scrape interval. */
    public static final Duration DEFAULT_FINAL_SCRAPE_WAIT = Duration.ofSeconds(15);
  }

  /**
   * How long the meta path's readers may gather records when runs train ahead of the services:
   * short next to the time a run takes for its steps ahead, and at most 40 fetches a second for
   * each reader.
   */
  public static final Duration AHEAD_BATCH_WAIT = Duration.ofMillis(25);

  /**
   * The fewest steps ahead with which the meta path reads in batches: with fewer, a run would
   * soon wait out a batch's delay on every few steps.
   */
  public static final int MIN_RUN_AHEAD_FOR_BATCHES = 64;

  /**
   * How long the in-process meta-optimizer and the trainer's reader of updates and forecasts may
   * hold records back to take them in batches: {@link #AHEAD_BATCH_WAIT} for small students
   * (fewer than {@link #LATENCY_BOUND_MULTIPLY_ADDS} multiply-adds a step, whose runs send
   * thousands of records a second) when every streamed run trains at least {@link
   * #MIN_RUN_AHEAD_FOR_BATCHES} steps ahead of the services, so it waits on no single record;
   * zero otherwise: a large student's few records a second are read as they come (an idle reader
   * that waits for a batch asks the broker again after every batch wait), and a run that may wait
   * on each update ({@code --run-ahead} below that, {@code --max-staleness} above 0, or a resumed
   * run, which waits when its meta-optimizer is Adam) has it at once.
   */
  public Duration metaPathBatchWait(long multiplyAddsPerStep) {
    boolean ahead = longRun.runAhead() >= MIN_RUN_AHEAD_FOR_BATCHES
        && base.maxStaleness() == 0 && longRun.resume().isEmpty();
    return ahead && multiplyAddsPerStep < LATENCY_BOUND_MULTIPLY_ADDS
        ? AHEAD_BATCH_WAIT : Duration.ZERO;
  }

  /**
   * A student step of fewer multiply-adds than this costs less than a broker round trip (about
   * a millisecond at a multiply-add a nanosecond): its runs spend their time waiting on the bus.
   */
  public static final long LATENCY_BOUND_MULTIPLY_ADDS = 1L << 20;
  /** The most runs in flight by default: one thread each, and their models and data in memory. */
  public static final int MAX_DEFAULT_PARALLEL = 64;

  /**
   * Runs trained at once: the {@code --parallel} flag, or else chosen from the work. Runs of a
   * small student (fewer than {@link #LATENCY_BOUND_MULTIPLY_ADDS} multiply-adds a step) are
   * latency-bound: a step waits longer for its broker round trip than it computes, so every run
   * of the experiment is in flight at once (at most {@value #MAX_DEFAULT_PARALLEL}) and their
   * round trips overlap, while the compute permits keep the computing ones to the cores. Larger
   * students are compute-bound: as many runs as cores, so runs finish one after another.
   *
   * @param runs the experiment's runs
   * @param multiplyAddsPerStep the estimated multiply-adds of one student step
   */
  public int parallelRuns(int runs, long multiplyAddsPerStep) {
    if (parallelRuns > 0) {
      return parallelRuns;
    }
    if (multiplyAddsPerStep < LATENCY_BOUND_MULTIPLY_ADDS) {
      return Math.max(1, Math.min(runs, MAX_DEFAULT_PARALLEL));
    }
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /**
   * Runs that may compute at once when each computes on {@code threadsPerRun} threads: the
   * cores shared out, at least 1.
   */
  public static int computePermits(int threadsPerRun) {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, threadsPerRun));
  }

  /**
   * Of {@code permits} compute permits, those that runs which only compute leave free while a
   * run waits on Kafka for its meta-parameters: one when there are two or more, so the broker's
   * and the services' threads answering the round trips on the longest path find a core; none
   * with the in-memory transport, whose round trip is a method call.
   */
  public int permitsKeptForTheBus(int permits) {
    return transport == Transport.KAFKA && permits >= 2 ? 1 : 0;
  }

  /**
   * Threads of one run's student step when {@code runsAtOnce} runs train at once: the {@code
   * --compute-threads} flag, or else the cores shared between those runs, at least 1, with
   * either transport. (Leaving a core to Kafka only pays while the JIT still compiles the
   * broker and clients, the first minute or so of a process: after that their threads take a
   * few percent of a core.) A native-ops step uses at most as many as it has parts.
   */
  public int computeThreads(int runsAtOnce) {
    if (computeThreads > 0) {
      return computeThreads;
    }
    int cores = Runtime.getRuntime().availableProcessors();
    return Math.max(1, cores / Math.max(1, runsAtOnce));
  }

  /** Where runs checkpoint: {@code OUTPUT/checkpoints/<runId>/}. */
  public Checkpointing checkpointing() {
    return new Checkpointing(longRun.checkpointEvery(), longRun.keepCheckpoints(),
        outputDir.resolve("checkpoints"));
  }

  /** How the trainer reaches the meta-optimizer and the monitor. */
  public enum Transport {
    /** Through Kafka (embedded broker or {@code --bootstrap-servers}). */
    KAFKA,
    /** Through an in-memory bus in this process. */
    DIRECT
  }

  /** Where the meta-optimizer and the monitor run. */
  public enum Services {
    /** In this process, beside the trainer (the default). */
    IN_PROCESS,
    /** Elsewhere ({@code distilflux meta-optimizer} and {@code monitor} on the same cluster). */
    EXTERNAL
  }

  /**
   * Split sizes; 0 means the dataset's default.
   *
   * @param train student training examples
   * @param validation validation examples
   * @param test test examples
   */
  public record SplitSizes(int train, int validation, int test) {}

  /**
   * The configuration of one run of this experiment, with its starting point: the reference's
   * random start for the random and optimised modes (docs/method.md §3), the fixed λ for the fixed
   * mode, λ = (1, 0, 1) without distillation.
   *
   * @param steps the run's number of steps (known once the data is loaded)
   */
  public RunConfig configFor(RunConfig.Mode mode, long seed, long steps) {
    Unconstrained initial = switch (mode) {
      case NO_DISTILLATION -> Unconstrained.fromValues(new MetaValues(1, 0, 1));
      case FIXED -> Unconstrained.fromValues(fixedMeta);
      case RANDOM, HYPERGRADIENT, FORECAST -> base.dataSeed() == null
          ? FixedMetaSource.randomStart(seed)
          : Unconstrained.of(SyntheticData.notebookStart(syntheticSizes(), base.dataSeed(), seed));
    };
    return base.forRun(mode, seed, steps, initial);
  }

  /** The sizes of the synthetic data of this experiment. */
  public SyntheticData.Config syntheticSizes() {
    return SyntheticData.Config.paper()
        .withSizes(splits.train(), splits.validation(), splits.test())
        .withValidationIsTest(base.validationIsTest());
  }

  /** One line of the settings that decide the runs' numbers, resolved. */
  public String describe() {
    RunConfig b = base;
    return String.format(java.util.Locale.ROOT,
        "dataset %s%s, seeds %s, modes %s, %s, student %s γ=%s, validation %s, E=%d n=%d,"
            + " divergence %s, unrolled derivative %s, meta %s η=%s clip %s",
        b.dataset().name().toLowerCase(java.util.Locale.ROOT),
        b.dataSeed() == null ? "" : " (data seed " + b.dataSeed() + ")",
        seeds.size() == 1 ? seeds.get(0).toString()
            : seeds.get(0) + ".." + seeds.get(seeds.size() - 1),
        String.join(",", modes.stream().map(RunConfig.Mode::cliName).toList()),
        b.dataset() == RunConfig.DatasetKind.SYNTHETIC
            ? b.steps() + " iterations" : b.epochs() + " epochs",
        b.innerOptimizer().name().toLowerCase(java.util.Locale.ROOT), b.innerLearningRate(),
        b.validationIsTest() ? "= test" : "held out", b.miniEpoch(), b.forecastEvery(),
        b.divergence().cliName(), b.unrolledDerivative().cliName(), b.metaOptimizer().name().toLowerCase(java.util.Locale.ROOT),
        b.metaLearningRate(), b.metaClip());
  }
}
