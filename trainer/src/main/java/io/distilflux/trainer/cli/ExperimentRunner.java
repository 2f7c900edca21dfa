package io.distilflux.trainer.cli;

import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.EventRouter;
import io.distilflux.pipeline.RunHistory;
import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.trainer.memory.NativeMemoryReclaimer;
import io.distilflux.trainer.record.RunRecorder;
import io.distilflux.trainer.run.ComputePermits;
import io.distilflux.trainer.run.DataOptions;
import io.distilflux.trainer.run.RunAssembler;
import io.distilflux.trainer.run.RunData;
import io.distilflux.trainer.run.StudentExport;
import io.distilflux.trainer.run.StudentRun;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import io.distilflux.trainer.run.LongRunOptions;
import io.distilflux.trainer.run.MetaFeed;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Runs an {@link ExperimentSpec}: brings up the bus and both services, trains every
 * (mode, seed) run, at most {@code parallelRuns} in flight at a time and at most as many
 * computing at once as {@link ComputePermits} allow, with a progress bar each and a summary
 * line every few seconds, and ends with the results table. Optionally also trains forecast runs with other schedules (E, n) and
 * records every run's events from the bus into a folder of run archives.
 */
final class ExperimentRunner {

  /**
   * A schedule of the forecast mode.
   *
   * @param miniEpoch E, steps per mini-epoch
   * @param forecastEvery n, mini-epochs per period
   */
  record Schedule(int miniEpoch, int forecastEvery) {}

  /**
   * A run that finished without failure, handed to the runner's listener before the results
   * table is printed.
   *
   * @param runId the run's id
   * @param config the run's configuration
   * @param run the trained run (its student and, for a variational one, θ)
   * @param lastStep the run's last training step (λ and the extra values it used)
   * @param finished the run's end
   */
  record FinishedRun(String runId, RunConfig config, StudentRun run, TrainingStep lastStep,
      RunFinished finished) {}

  /** What an experiment produced. */
  record Results(List<ResultsTable.RunResult> runs) {
    boolean allSucceeded() {
      return runs.stream().allMatch(r -> r.finished().failure() == null);
    }
  }

  /**
   * How long a finished run's events must be silent before its archive is written: a step
   * event may reach the recorder a background batch wait (and a producer's background linger)
   * after the {@code RunFinished} that follows it, so well beyond that.
   */
  private static final Duration RECORDING_QUIET =
      ConsumerOptions.BACKGROUND_BATCH_WAIT.multipliedBy(3);
  /** How often the summary line is printed while an experiment runs. */
  private static final Duration PROGRESS_PERIOD = Duration.ofSeconds(5);
  /** How long the recorder may take to catch up once every run has finished. */
  private static final Duration RECORDING_TIMEOUT = Duration.ofSeconds(60);

  private final ExperimentSpec spec;
  private final PrintStream out;
  /** Whether the student's computation path was printed (once per experiment). */
  private final java.util.concurrent.atomic.AtomicBoolean pathPrinted =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final PrintStream log;
  private final long startMillis = System.currentTimeMillis();
  private final List<Schedule> extraSchedules;
  private final Optional<Path> eventsDir;
  private final ShutdownReport stopReport;
  private final ResultsFiles resultsFiles;
  private final java.util.function.Consumer<FinishedRun> onFinished;
  /**
   * Set when the JVM is being stopped: runs that fail from then on fail because their services
   * are closing, and are not written as results (the stop report says how to resume them).
   */
  private final java.util.concurrent.atomic.AtomicBoolean stopping =
      new java.util.concurrent.atomic.AtomicBoolean();

  ExperimentRunner(ExperimentSpec spec, PrintStream out, PrintStream log) {
    this(spec, out, log, List.of(), Optional.empty(), run -> { });
  }

  ExperimentRunner(ExperimentSpec spec, PrintStream out, PrintStream log,
      List<Schedule> extraSchedules, Optional<Path> eventsDir) {
    this(spec, out, log, extraSchedules, eventsDir, run -> { });
  }

  /**
   * @param extraSchedules forecast runs (every seed) with these schedules besides the spec's
   * @param eventsDir where to record each run's events as {@code <runId>.jsonl}, if anywhere
   * @param onFinished called with every run that finishes without failure
   */
  ExperimentRunner(ExperimentSpec spec, PrintStream out, PrintStream log,
      List<Schedule> extraSchedules, Optional<Path> eventsDir,
      java.util.function.Consumer<FinishedRun> onFinished) {
    this.spec = spec;
    this.out = out;
    this.log = log;
    this.extraSchedules = List.copyOf(extraSchedules);
    this.eventsDir = eventsDir;
    this.onFinished = onFinished;
    this.stopReport = new ShutdownReport(spec, log);
    this.resultsFiles = new ResultsFiles(spec.outputDir(),
        ResultsFiles.newInvocation(java.time.Clock.systemUTC()));
  }

  Results run() {
    new Preflight().check(spec);
    stopReport.install();
    try (NativeMemoryReclaimer reclaimer =
        NativeMemoryReclaimer.start(spec.longRun().reclaimEvery())) {
      return runWithServices();
    } finally {
      stopReport.uninstall();
    }
  }

  private Results runWithServices() {
    // The first lines come at once, and the summary every few seconds from the start: a
    // newcomer sees what is being done while the broker starts and the teachers train.
    ProgressBoard board = new ProgressBoard(log);
    log.println(plan());
    Scheduler ticker = Schedulers.newSingle("progress", true);
    Disposable ticking = board.tickEvery(PROGRESS_PERIOD, ticker);
    try {
      return startAndRun(board, ticking);
    } finally {
      ticking.dispose();
      ticker.dispose();
    }
  }

  private Results startAndRun(ProgressBoard board, Disposable ticking) {
    boolean embedded = spec.transport() == ExperimentSpec.Transport.KAFKA
        && spec.bootstrapServers().isEmpty();
    String services = embedded ? "the embedded Kafka broker and the services" : "the services";
    Runnable onStop = () -> {
      stopping.set(true);
      ticking.dispose(); // no more estimates of a time left that will not come
    };
    StartingServices starting = StartingServices.begin(spec, log);
    RunData data = new RunData(new DataOptions(spec.splits().train(), spec.splits().validation(),
        spec.splits().test(), spec.teacherEpochs(), spec.teacherSteps(),
        spec.outputDir().resolve("teachers")));
    if (spec.longRun().resume().isPresent()) {
      board.phase("starting " + services);
      try (ServiceStack stack = starting.ready(Duration.ZERO).closeOnStop(onStop)) {
        return resume(assembler(data, stack).withComputeThreads(spec.computeThreads(1)), stack,
            board, spec.longRun().resume().get());
      }
    }
    List<RunConfig> configs;
    long multiplyAdds;
    try {
      board.phase("loading the data and training the teachers while " + services + " start");
      configs = configs(data);
      log.println(data.prepare(configs.get(0)).description());
      multiplyAdds = data.multiplyAddsPerStep(configs.get(0));
    } catch (RuntimeException | Error e) {
      starting.abandon();
      throw e;
    }
    Duration batchWait = spec.metaPathBatchWait(multiplyAdds);
    prepareWhile(starting.metaOptimizerReadsIn(batchWait)::isStarting, data, configs);
    board.phase("starting " + services);
    try (ServiceStack stack = starting.ready(batchWait).closeOnStop(onStop)) {
      RunAssembler preparing = assembler(data, stack);
      stack.metricsUrl().ifPresent(url -> log.println("metrics: " + url));
      int parallel = spec.parallelRuns(configs.size(), multiplyAdds);
      int threads = spec.computeThreads(Math.min(parallel, configs.size()));
      int computing = ExperimentSpec.computePermits(threads);
      ComputePermits permits = ComputePermits.keepingForTheBus(computing,
          spec.permitsKeptForTheBus(computing));
      Map<RunConfig, String> runIds = new LinkedHashMap<>();
      for (RunConfig config : configs) {
        runIds.put(config, runId(config));
      }
      List<String> streamed = configs.stream()
          .filter(c -> c.mode() == RunConfig.Mode.HYPERGRADIENT
              || c.mode() == RunConfig.Mode.FORECAST)
          .map(runIds::get).toList();
      // One reader of the updates and forecasts for all the runs, not two per run.
      Optional<MetaFeed> feed = streamed.isEmpty() ? Optional.empty()
          : Optional.of(new MetaFeed(stack.bus(), stack.topics(),
              "trainer-" + Long.toString(startMillis % 1_000_000_000L, 36), streamed,
              batchWait, runsStartAfter()));
      RunAssembler assembler = feed.map(preparing::withMetaFeed).orElse(preparing)
          .withComputeThreads(threads);
      long totalSteps = configs.stream().mapToLong(RunConfig::steps).sum();
      board.plan(configs.size(), totalSteps, permits.permits());
      board.phase("starting the runs");
      log.printf(Locale.ROOT, "%d runs, %d steps in all: %d in flight at once, %d computing at"
              + " once (%d thread%s each)%n", configs.size(), totalSteps,
          Math.min(parallel, configs.size()), permits.permits(), threads, threads == 1 ? "" : "s");
      Optional<RunRecorder> recorder = eventsDir.map(dir -> new RunRecorder(stack.bus(),
          stack.topics(), Set.copyOf(runIds.values()), dir, RECORDING_QUIET, runsStartAfter())
          .start());
      EventRouter router = new EventRouter(stack.bus(), stack.topics());
      // A thread for every task that may be busy at once: each run in flight holds one for its
      // whole training loop, and one more while it is assembled (which may wait for a compute
      // permit, to train its teacher) or saves its student. At the cap a bounded elastic
      // scheduler queues a new task behind a busy thread, and behind a training loop it would
      // wait until that run ended. Unbounded task queues: a run's requests for more events queue
      // on its worker while it trains, and a request rejected by a full queue would be lost,
      // leaving the run waiting.
      Scheduler trainers = trainerThreads(parallel);
      try {
        // Written again after every finished run, so a long experiment that is stopped keeps
        // the rows of the runs it finished.
        List<ResultsTable.RunResult> finished = new ArrayList<>();
        List<ResultsTable.RunResult> results = Flux.fromIterable(configs)
            .flatMapSequential(config -> runOne(router, board, runIds.get(config), config,
                    () -> assembler.assemble(runIds.get(config), config), trainers, permits),
                parallel, 1)
            .doOnNext(result -> {
              if (!stopping.get()) {
                finished.add(result);
                resultsFiles.write(new ResultsTable(spec.base().dataset(), finished));
              }
            })
            .collectList()
            .block();
        ticking.dispose();
        log.println(board.summary());
        ResultsTable table = new ResultsTable(spec.base().dataset(), results);
        table.print(out);
        printWritten(resultsFiles.write(table));
        recorder.ifPresent(r -> {
          List<Path> files = r.finish(RECORDING_TIMEOUT);
          out.println(files.size() + " run(s) recorded in " + eventsDir.get()
              + (r.lateEvents() > 0 ? " (" + r.lateEvents() + " late event(s) not recorded)" : ""));
        });
        stack.awaitFinalScrape(spec.longRun().finalScrapeWait(), log);
        return new Results(results);
      } finally {
        recorder.ifPresent(RunRecorder::close);
        trainers.dispose();
        feed.ifPresent(MetaFeed::close);
      }
    }
  }

  /**
   * Loads the data and trains the teachers of the runs, in the runs' order, for as long as the
   * services are {@code starting}: an embedded broker takes seconds, mostly on one core, and the
   * runs then start with their teachers ready instead of training them while the first runs
   * step. Stops as soon as the services have started. A run whose data fails to load here is
   * left to fail when it is assembled, with its own error, as it would have.
   *
   * @return how many runs' data this call found ready or prepared
   */
  static int prepareWhile(BooleanSupplier starting, RunData data, List<RunConfig> configs) {
    int prepared = 0;
    for (RunConfig config : configs) {
      if (!starting.getAsBoolean()) {
        break;
      }
      try {
        data.prepare(config);
        prepared++;
      } catch (RuntimeException e) {
        // told by the run that needs it
      }
    }
    return prepared;
  }

  /** The experiment in one line, printed before anything starts. */
  private String plan() {
    if (spec.longRun().resume().isPresent()) {
      return "distilflux: resuming the run of " + spec.longRun().resume().get() + ", "
          + where();
    }
    int schedules = (int) extraSchedules.stream()
        .filter(s -> !(s.miniEpoch() == spec.base().miniEpoch()
            && s.forecastEvery() == spec.base().forecastEvery()
            && spec.modes().contains(RunConfig.Mode.FORECAST)))
        .count();
    int runs = (spec.modes().size() + schedules) * spec.seeds().size();
    return String.format(Locale.ROOT, "distilflux: %d %s runs (%d mode%s%s × %d seed%s), %s",
        runs, spec.base().dataset().name().toLowerCase(Locale.ROOT), spec.modes().size(),
        spec.modes().size() == 1 ? "" : "s",
        schedules == 0 ? "" : " + " + schedules + " forecast schedule" + (schedules == 1 ? "" : "s"),
        spec.seeds().size(), spec.seeds().size() == 1 ? "" : "s", where());
  }

  private String where() {
    return spec.transport() == ExperimentSpec.Transport.DIRECT ? "in-memory transport"
        : spec.bootstrapServers().map(s -> "Kafka at " + s).orElse("embedded Kafka");
  }

  /** The runs' assembler on the started services' bus. */
  private RunAssembler assembler(RunData data, ServiceStack stack) {
    return new RunAssembler(data, stack.bus(), stack.topics(), spec.metaTimeout(),
        Provenance.current(RunAssembler.backendName()),
        new LongRunOptions(spec.longRun().onMetaTimeout(), spec.checkpointing(),
            stack.registry(), spec.longRun().runAhead()));
  }

  /** Every run: modes × seeds, then the extra forecast schedules × seeds. */
  private List<RunConfig> configs(RunData data) {
    List<RunConfig> configs = new ArrayList<>();
    for (RunConfig.Mode mode : spec.modes()) {
      for (long seed : spec.seeds()) {
        RunConfig draft = spec.configFor(mode, seed, spec.base().steps());
        configs.add(spec.configFor(mode, seed, data.stepsFor(draft)));
      }
    }
    for (Schedule schedule : extraSchedules) {
      if (schedule.miniEpoch() == spec.base().miniEpoch()
          && schedule.forecastEvery() == spec.base().forecastEvery()
          && spec.modes().contains(RunConfig.Mode.FORECAST)) {
        continue;
      }
      for (long seed : spec.seeds()) {
        RunConfig draft = withSchedule(spec.configFor(RunConfig.Mode.FORECAST, seed,
            spec.base().steps()), schedule);
        configs.add(withSchedule(spec.configFor(RunConfig.Mode.FORECAST, seed,
            data.stepsFor(draft)), schedule));
      }
    }
    return configs;
  }

  private static RunConfig withSchedule(RunConfig c, Schedule s) {
    return new RunConfig(c.dataset(), c.dataDir(), c.mode(), c.seed(), c.epochs(), c.steps(),
        c.batchSize(), c.teacher(), c.student(), c.innerOptimizer(), c.innerLearningRate(),
        c.metaOptimizer(), c.metaLearningRate(), c.metaClip(), s.miniEpoch(), s.forecastEvery(),
        c.initial(), c.temperatureSquared(), c.evaluateEvery(), c.maxStaleness(),
        c.validationIsTest(), c.dataSeed(), c.divergence(), c.inputs(), c.unrolledDerivative());
  }

  private void printWritten(int earlierRows) {
    out.println("results written to " + spec.outputDir().resolve("results.csv") + " (invocation "
        + resultsFiles.invocation()
        + (earlierRows > 0 ? ", after " + earlierRows + " row(s) of earlier invocations" : "")
        + ") and results.json");
  }

  /**
   * The threads that assemble and train {@code parallel} runs in flight: two a run, so that no
   * task ever waits behind a training loop.
   */
  static Scheduler trainerThreads(int parallel) {
    return Schedulers.newBoundedElastic(2 * parallel, Integer.MAX_VALUE, "trainer");
  }

  /** Continues the run of a checkpoint folder and prints its row of the results table. */
  private Results resume(RunAssembler assembler, ServiceStack stack, ProgressBoard board,
      Path folder) {
    StudentRun run = assembler.resume(folder);
    String runId = run.runId();
    RunConfig config = run.config();
    log.println("resuming run " + runId + " at step " + run.firstStep() + " of " + config.steps());
    board.plan(1, config.steps(), 1);
    board.phase("training");
    Scheduler trainers = trainerThreads(1);
    try {
      ResultsTable.RunResult result = runOne(new EventRouter(stack.bus(), stack.topics()),
          board, runId, config, () -> run, trainers, ComputePermits.unbounded()).block();
      if (stopping.get()) {
        return new Results(List.of());
      }
      ResultsTable table = new ResultsTable(config.dataset(), List.of(result));
      table.print(out);
      printWritten(resultsFiles.write(table));
      stack.awaitFinalScrape(spec.longRun().finalScrapeWait(), log);
      return new Results(List.of(result));
    } finally {
      trainers.dispose();
    }
  }

  /**
   * Writes a finished run's student where {@code --save-student} asks (file I/O, on a trainer
   * thread); nothing for a failed run or without the flag.
   */
  private Mono<Void> saveStudent(String runId, RunConfig config, StudentRun run,
      List<TrainingStep> trajectory, RunFinished finished, Scheduler trainers) {
    if (spec.saveStudent().isEmpty() || finished.failure() != null) {
      return Mono.empty();
    }
    boolean single = spec.modes().size() * spec.seeds().size() == 1;
    return Mono.fromRunnable(() -> {
      Path zip = StudentExport.write(StudentExport.fileFor(spec.saveStudent().get(), runId,
          single), run.student(), config, trajectory);
      out.println("student of run " + runId + " written to " + zip);
    }).subscribeOn(trainers).then();
  }

  private Mono<ResultsTable.RunResult> runOne(EventRouter router, ProgressBoard board,
      String runId, RunConfig config, Supplier<StudentRun> assemble, Scheduler trainers,
      ComputePermits permits) {
    String label = config.mode().cliName() + scheduleSuffix(config, " ") + " seed " + config.seed();
    AtomicReference<Double> accuracy = new AtomicReference<>(Double.NaN);
    return Mono.defer(() -> {
      // Assembling may train a teacher: compute like a step, under a permit.
      StudentRun run = permits.compute(assemble);
      board.meter(label, run::permitUsage);
      if (pathPrinted.compareAndSet(false, true)) {
        log.println("student " + config.student() + " computed on " + run.computationPath());
      }
      stopReport.started(runId, label, config.mode(), config.steps(), run.firstStep());
      // λ per step, for the saved student's trajectory file
      List<TrainingStep> trajectory = new ArrayList<>();
      AtomicReference<TrainingStep> lastStep = new AtomicReference<>();
      Flux<Event> events = run.events(trainers, permits)
          .doOnNext(event -> {
            if (event instanceof TrainingStep s) {
              lastStep.set(s);
              if (spec.saveStudent().isPresent()) {
                trajectory.add(s);
              }
              stopReport.progressed(runId, s.step() + 1);
              board.progress(label, s.step() + 1, config.steps(), accuracy.get());
            } else if (event instanceof Evaluation e) {
              accuracy.set(e.testAccuracy());
            }
          });
      AtomicReference<RunFinished> finished = new AtomicReference<>();
      return router.publish(events.doOnNext(event -> {
            if (event instanceof RunFinished f) {
              finished.set(f);
            }
          }))
          .then(Mono.fromCallable(finished::get))
          .doOnNext(f -> {
            double testAccuracy =
                f.finalEvaluation() == null ? Double.NaN : f.finalEvaluation().testAccuracy();
            stopReport.finished(runId, f.steps(), testAccuracy, f.failure());
            board.finished(label, f.steps(), config.steps(), testAccuracy, f.failure());
            if (f.failure() == null) {
              onFinished.accept(new FinishedRun(runId, config, run, lastStep.get(), f));
            }
          })
          .flatMap(f -> saveStudent(runId, config, run, trajectory, f, trainers)
              .thenReturn(f))
          .map(f -> new ResultsTable.RunResult(runId, config, f));
    })
        // Assembling loads data and builds networks: on a trainer thread, never on the thread
        // that completed the previous run (a Kafka client's I/O thread, which would stall sends).
        .subscribeOn(trainers);
  }

  /** Run ids of this experiment: dataset, mode (and schedule), seed and the start time. */
  /**
   * When this process's runs start at the soonest, by any writer's clock: their records on the
   * topics are all later, so their readers need not read a kept log's earlier runs.
   */
  private Instant runsStartAfter() {
    return Instant.ofEpochMilli(startMillis).minus(RunHistory.CLOCK_ALLOWANCE);
  }

  private String runId(RunConfig config) {
    return String.format(Locale.ROOT, "%s-%s%s-s%d-%s",
        config.dataset().name().toLowerCase(Locale.ROOT), config.mode().cliName(),
        scheduleSuffix(config, "-").replace("=", "").replace(" ", ""), config.seed(),
        Long.toString(startMillis % 1_000_000_000L, 36));
  }

  /** " E=10 n=4" for a run whose schedule is not the experiment's, else "". */
  private String scheduleSuffix(RunConfig config, String prefix) {
    boolean other = config.miniEpoch() != spec.base().miniEpoch()
        || config.forecastEvery() != spec.base().forecastEvery();
    return other ? prefix + "E=" + config.miniEpoch() + " n=" + config.forecastEvery() : "";
  }
}
