package io.distilflux.trainer.cli;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.trainer.record.RunRecorder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code distilflux experiment synthetic|cifar10|mnist}: one of the paper's experiments
 * (docs/method.md §5) with the flags of {@code run}, every run's events recorded from the bus
 * ({@link RunRecorder}) and a report at the end.
 */
@Command(
    name = "experiment",
    mixinStandardHelpOptions = true,
    description = {
      "Runs one of the paper's experiments (docs/method.md §5), records every run's events and writes a report.",
      "All five modes, 5 seeds, the paper's epochs, iterations and splits unless flags say otherwise. Every run's events go to OUTPUT/events/<runId>.jsonl and the report to OUTPUT/report/. Takes the flags of 'run'; OUTPUT defaults to experiments/<dataset>."
    },
    defaultValueProvider = ConfigFileDefaults.class,
    subcommands = {ComplexityCommand.class, StructureCommand.class},
    sortOptions = false)
final class ExperimentCommand implements Callable<Integer> {

  @Parameters(index = "0", arity = "0..1", paramLabel = "DATASET",
      converter = KebabEnumConverter.Datasets.class,
      description = "synthetic, cifar10 or mnist (the complexity and structure experiments are "
          + "the subcommands 'experiment complexity' and 'experiment structure').")
  RunConfig.DatasetKind dataset;

  @Option(names = "--schedules", paramLabel = "E:n,…",
      description = "Extra forecast runs (every seed) with these schedules, e.g. 10:2,100:4, "
          + "for the accuracy-vs-E-and-n chart (default: none).")
  String schedules;

  @Mixin RunOptions options;

  @Override
  public Integer call() {
    if (dataset == null) {
      throw new IllegalArgumentException(
          "experiment needs a DATASET: synthetic, cifar10, mnist, or the subcommand complexity");
    }
    ExperimentSpec spec = options.spec(dataset);
    List<ExperimentRunner.Schedule> extra = parseSchedules(schedules);
    Path events = spec.outputDir().resolve("events");
    Path report = spec.outputDir().resolve("report");
    // Fail on an unwritable output before hours of training, not after.
    for (Path dir : List.of(events, report)) {
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
      }
      if (!Files.isWritable(dir)) {
        throw new IllegalArgumentException("cannot write to " + dir);
      }
    }
    ExperimentRunner.Results results =
        new ExperimentRunner(spec, System.out, System.err, extra, Optional.of(events)).run();
    List<Path> archives = new ArrayList<>();
    for (ResultsTable.RunResult r : results.runs()) {
      Path file = events.resolve(r.runId() + ".jsonl");
      if (Files.isRegularFile(file)) {
        archives.add(file);
      }
    }
    if (archives.isEmpty()) {
      System.err.println("distilflux: no run was recorded; no report");
      return 1;
    }
    ReportCommand.generate(archives, report, System.out, System.err);
    return results.allSucceeded() ? 0 : 1;
  }

  /** {@code "10:2,100:4"} → schedules; each E ≥ 2 and n ≥ 2, as for the flags. */
  static List<ExperimentRunner.Schedule> parseSchedules(String text) {
    List<ExperimentRunner.Schedule> out = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return out;
    }
    for (String part : text.split(",")) {
      String[] en = part.trim().split(":");
      try {
        if (en.length != 2) {
          throw new NumberFormatException();
        }
        int e = Integer.parseInt(en[0].trim());
        int n = Integer.parseInt(en[1].trim());
        if (e < 2 || n < 2) {
          throw new IllegalArgumentException("--schedules needs E ≥ 2 and n ≥ 2, got '"
              + part.trim() + "'");
        }
        out.add(new ExperimentRunner.Schedule(e, n));
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("--schedules expects E:n pairs like 10:2,100:4, got '"
            + part.trim() + "'");
      }
    }
    return out;
  }
}
