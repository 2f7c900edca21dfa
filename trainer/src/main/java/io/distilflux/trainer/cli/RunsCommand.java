package io.distilflux.trainer.cli;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.record.KafkaRunReader;
import io.distilflux.pipeline.record.RecordedRunSummary;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code distilflux runs}: the runs recorded on a cluster. */
@Command(name = "runs", mixinStandardHelpOptions = true,
    description = "Lists the recorded runs with their configuration, status and final test accuracy.")
final class RunsCommand implements Callable<Integer> {

  @Mixin ClusterOptions cluster;

  @Override
  public Integer call() {
    try (ClusterOptions.Cluster kafka = cluster.open(false, System.err);
        KafkaRunReader reader = KafkaRunReader.connect(kafka.connection(), kafka.topics())) {
      print(reader.runs(), System.out);
    }
    return 0;
  }

  static void print(List<RecordedRunSummary> runs, PrintStream out) {
    if (runs.isEmpty()) {
      out.println("no recorded runs");
      return;
    }
    int width = Math.max(6, runs.stream().mapToInt(r -> r.runId().length()).max().orElse(6));
    String format = "%-" + width + "s  %-9s  %-15s  %6s  %7s  %4s  %3s  %-10s  %s%n";
    out.printf(Locale.ROOT, format, "run id", "dataset", "mode", "seed", "steps", "E", "n",
        "status", "test accuracy");
    for (RecordedRunSummary run : runs) {
      RunConfig config = run.started().map(s -> s.config()).orElse(null);
      double accuracy = run.finalTestAccuracy();
      out.printf(Locale.ROOT, format, run.runId(),
          config == null ? "?" : config.dataset().name().toLowerCase(Locale.ROOT),
          config == null ? "?" : config.mode().cliName(),
          config == null ? "?" : Long.toString(config.seed()),
          config == null ? "?" : Long.toString(config.steps()),
          config == null ? "?" : Integer.toString(config.miniEpoch()),
          config == null ? "?" : Integer.toString(config.forecastEvery()),
          run.status(),
          Double.isNaN(accuracy) ? "-" : String.format(Locale.ROOT, "%.4f", accuracy));
    }
  }
}
