package io.distilflux.trainer.cli;

import io.distilflux.pipeline.record.KafkaRunReader;
import io.distilflux.pipeline.record.RunArchive;
import io.distilflux.trainer.report.Report;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distilflux report}: PNG charts and a Markdown page from recorded runs. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Writes PNG charts and a Table-1 page from recorded runs.",
      "Reads run archives (.jsonl) or --run IDs from Kafka and writes report.md and the charts: accuracy vs iteration per mode (mean ± std), λ1, λ2, T vs iteration, accuracy vs λ1 and log T, accuracy for several E and n, and a table beside the paper's Table 1."
    },
    sortOptions = false)
final class ReportCommand implements Callable<Integer> {

  @Parameters(paramLabel = "FILE", arity = "0..*", description = "Run archives (.jsonl).")
  List<Path> files = new ArrayList<>();

  @Option(names = "--experiment", paramLabel = "DIR",
      description = "An experiment's output folder: reports on every archive in DIR/events (or DIR) (default: none).")
  Path experiment;

  @Option(names = "--run", paramLabel = "ID", split = ",",
      description = "Recorded runs read from Kafka (--bootstrap-servers or --kafka-dir); their "
          + "archives are written to OUTPUT/events/ first (default: none).")
  List<String> runIds = new ArrayList<>();

  @Option(names = "--output", paramLabel = "DIR",
      description = "Where the report goes (default DIR/report with --experiment, else report).")
  Path output;

  @Mixin ClusterOptions cluster;

  @Override
  public Integer call() {
    List<Path> archives = new ArrayList<>(files);
    if (experiment != null) {
      archives.addAll(archivesOf(experiment));
    }
    Path target = output != null ? output
        : experiment != null ? experiment.resolve("report") : Path.of("report");
    if (!runIds.isEmpty()) {
      archives.addAll(exportFromKafka(target.resolve("events")));
    }
    if (archives.isEmpty()) {
      throw new IllegalArgumentException(experiment == null
          ? "give run archives (FILE…), --run ID or --experiment DIR"
          : "no run archives (*.jsonl) in " + experiment);
    }
    generate(archives, target, System.out, System.err);
    return 0;
  }

  /** Reads every {@code --run} from the cluster into an archive under {@code folder}. */
  private List<Path> exportFromKafka(Path folder) {
    List<Path> written = new ArrayList<>();
    try (ClusterOptions.Cluster kafka = cluster.open(false, System.err);
        KafkaRunReader reader = KafkaRunReader.connect(kafka.connection(), kafka.topics())) {
      for (String runId : runIds) {
        Path file = folder.resolve(runId + ".jsonl");
        RunArchive.requireWritable(file);
        RunArchive.write(file, reader.read(runId));
        written.add(file);
      }
    }
    return written;
  }

  /** The archives of an experiment folder: {@code DIR/events/*.jsonl}, else {@code DIR/*.jsonl}. */
  static List<Path> archivesOf(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--experiment folder not found: " + dir);
    }
    Path events = dir.resolve("events");
    Path folder = Files.isDirectory(events) ? events : dir;
    try (Stream<Path> listing = Files.list(folder)) {
      return listing.filter(p -> p.getFileName().toString().endsWith(".jsonl"))
          .filter(Files::isRegularFile)
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the report with a progress bar on {@code log}; an archive that cannot be read is a
   * one-line {@link IllegalArgumentException} (exit code 2).
   */
  static Report.Result generate(List<Path> archives, Path target, PrintStream out, PrintStream log) {
    ProgressBoard board = new ProgressBoard(log, "files");
    Report.Result result;
    try {
      result = Report.write(archives, target,
          (what, done, total) -> board.progress("report", done, total, Double.NaN));
    } catch (RunArchive.ArchiveException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    out.println("report written to " + result.page() + " (" + result.charts().size()
        + " charts" + (result.failedRuns().isEmpty() ? ""
            : ", " + result.failedRuns().size() + " failed run(s) left out of the table") + ")");
    return result;
  }
}
