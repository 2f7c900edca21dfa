package io.distilflux.trainer.cli;

import io.distilflux.pipeline.EventRouter;
import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.trainer.run.RunAssembler;
import io.distilflux.trainer.run.DataOptions;
import io.distilflux.trainer.run.StudentRun;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import io.distilflux.trainer.run.LongRunOptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Runs an {@link ExperimentSpec}: brings up the bus and both services, trains every
 * (mode, seed) run, at most {@code parallelRuns} at a time, with a progress bar each, and ends
 * with the results table.
 */
final class ExperimentRunner {

  /** What an experiment produced. */
  record Results(List<ResultsTable.RunResult> runs) {
    boolean allSucceeded() {
      return runs.stream().allMatch(r -> r.finished().failure() == null);
    }
  }

  private final ExperimentSpec spec;
  private final PrintStream out;
  private final PrintStream log;
  private final long startMillis = System.currentTimeMillis();

  ExperimentRunner(ExperimentSpec spec, PrintStream out, PrintStream log) {
    this.spec = spec;
    this.out = out;
    this.log = log;
  }

  Results run() {
    requireDataFolder();
    try (ServiceStack stack = ServiceStack.start(spec, log)) {
      RunAssembler assembler = new RunAssembler(
          new DataOptions(spec.splits().train(), spec.splits().validation(), spec.splits().test(),
              spec.teacherEpochs(), spec.teacherSteps(), spec.outputDir().resolve("teachers")),
          stack.bus(), stack.topics(), spec.metaTimeout(),
          Provenance.current(RunAssembler.backendName()),
          new LongRunOptions(spec.longRun().onMetaTimeout(), spec.checkpointing(),
              stack.registry()));
      stack.metricsUrl().ifPresent(url -> log.println("metrics: " + url));
      if (spec.longRun().resume().isPresent()) {
        return resume(assembler, stack, spec.longRun().resume().get());
      }
      List<RunConfig> configs = new ArrayList<>();
      for (RunConfig.Mode mode : spec.modes()) {
        for (long seed : spec.seeds()) {
          RunConfig draft = spec.configFor(mode, seed, spec.base().steps());
          configs.add(spec.configFor(mode, seed, assembler.stepsFor(draft)));
        }
      }
      log.println(assembler.prepare(configs.get(0)).description());
      ProgressBoard board = new ProgressBoard(log);
      EventRouter router = new EventRouter(stack.bus(), stack.topics());
      Scheduler trainers = Schedulers.newBoundedElastic(spec.parallelRuns(), 64, "trainer");
      try {
        // Written again after every finished run, so a long experiment that is stopped keeps
        // the rows of the runs it finished.
        List<ResultsTable.RunResult> finished = new ArrayList<>();
        List<ResultsTable.RunResult> results = Flux.fromIterable(configs)
            .flatMapSequential(config -> runOne(router, board, runId(config), config,
                    () -> assembler.assemble(runId(config), config), trainers),
                spec.parallelRuns(), 1)
            .doOnNext(result -> {
              finished.add(result);
              new ResultsTable(spec.base().dataset(), finished).write(spec.outputDir());
            })
            .collectList()
            .block();
        ResultsTable table = new ResultsTable(spec.base().dataset(), results);
        table.print(out);
        table.write(spec.outputDir());
        out.println("results written to " + spec.outputDir().resolve("results.csv") + " and results.json");
        return new Results(results);
      } finally {
        trainers.dispose();
      }
    }
  }

  /**
   * Fails before the broker and services start (and print) when the dataset's folder is
   * missing, so the error is the only line the user sees.
   */
  private void requireDataFolder() {
    RunConfig base = spec.base();
    if (base.dataset() != RunConfig.DatasetKind.SYNTHETIC
        && !Files.isDirectory(Path.of(base.dataDir()))) {
      throw new IllegalArgumentException("--data-dir folder not found: " + base.dataDir()
          + " (" + base.dataset().name().toLowerCase(Locale.ROOT) + ")");
    }
  }

  /** Continues the run of a checkpoint folder and prints its row of the results table. */
  private Results resume(RunAssembler assembler, ServiceStack stack, Path folder) {
    StudentRun run = assembler.resume(folder);
    String runId = run.runId();
    RunConfig config = run.config();
    log.println("resuming run " + runId + " at step " + run.firstStep() + " of " + config.steps());
    Scheduler trainers = Schedulers.newBoundedElastic(1, 4, "trainer");
    try {
      ResultsTable.RunResult result = runOne(new EventRouter(stack.bus(), stack.topics()),
          new ProgressBoard(log), runId, config, () -> run, trainers).block();
      ResultsTable table = new ResultsTable(config.dataset(), List.of(result));
      table.print(out);
      return new Results(List.of(result));
    } finally {
      trainers.dispose();
    }
  }

  private Mono<ResultsTable.RunResult> runOne(EventRouter router, ProgressBoard board,
      String runId, RunConfig config, Supplier<StudentRun> assemble, Scheduler trainers) {
    String label = config.mode().cliName() + " seed " + config.seed();
    AtomicReference<Double> accuracy = new AtomicReference<>(Double.NaN);
    return Mono.defer(() -> {
      StudentRun run = assemble.get();
      Flux<Event> events = run.events(trainers)
          .doOnNext(event -> {
            if (event instanceof TrainingStep s) {
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
          .doOnNext(f -> board.finished(label, f.steps(), config.steps(),
              f.finalEvaluation() == null ? Double.NaN : f.finalEvaluation().testAccuracy(),
              f.failure()))
          .map(f -> new ResultsTable.RunResult(runId, config, f));
    });
  }

  /** Run ids of this experiment: dataset, mode, seed and the experiment's start time. */
  private String runId(RunConfig config) {
    return String.format(Locale.ROOT, "%s-%s-s%d-%s",
        config.dataset().name().toLowerCase(Locale.ROOT), config.mode().cliName(), config.seed(),
        Long.toString(startMillis % 1_000_000_000L, 36));
  }
}
