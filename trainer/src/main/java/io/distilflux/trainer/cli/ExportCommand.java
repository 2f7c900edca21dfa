package io.distilflux.trainer.cli;

import io.distilflux.pipeline.record.KafkaRunReader;
import io.distilflux.pipeline.record.RecordedRun;
import io.distilflux.pipeline.record.RunArchive;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code distilflux export}: one recorded run from Kafka to a JSON Lines archive. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
      "Writes every recorded event of a run, read from Kafka, to a run archive.",
      "The archive is a self-describing JSON Lines file (a header line, then one event per line) that import, report and replay read."
    })
final class ExportCommand implements Callable<Integer> {

  @Option(names = "--run", paramLabel = "ID", required = true, description = "The run to export.")
  String runId;

  @Option(names = "--output", paramLabel = "FILE",
      description = "The archive to write (default ID.jsonl); missing folders are created.")
  Path output;

  @Mixin ClusterOptions cluster;

  @Override
  public Integer call() {
    Path file = output != null ? output : Path.of(runId + ".jsonl");
    RunArchive.requireWritable(file);
    try (ClusterOptions.Cluster kafka = cluster.open(false, System.err);
        KafkaRunReader reader = KafkaRunReader.connect(kafka.connection(), kafka.topics())) {
      RecordedRun run = reader.read(runId);
      RunArchive.write(file, run);
      System.out.println("exported run " + runId + ": " + run.events().size() + " events to "
          + file + (reader.skippedRecords() > 0
              ? " (" + reader.skippedRecords() + " unreadable records skipped)" : ""));
    }
    return 0;
  }
}
