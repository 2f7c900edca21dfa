package io.distilflux.trainer.cli;

import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import io.distilflux.pipeline.record.RecordedRun;
import io.distilflux.pipeline.record.RunArchive;
import io.distilflux.pipeline.record.RunImporter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distilflux import}: archives written by export, published into a Kafka cluster. */
@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
      "Publishes exported runs into a Kafka cluster.",
      "Events are keyed by run id and sent by the idempotent producer with acks=all; missing topics are created. Every file is read and checked first; a run already on the cluster is refused."
    })
final class ImportCommand implements Callable<Integer> {

  @Parameters(paramLabel = "FILE", arity = "1..*", description = "Archives written by export.")
  List<Path> files;

  @Mixin ClusterOptions cluster;

  @Option(names = "--partitions", paramLabel = "N", defaultValue = "6",
      description = "Partitions of topics it creates (default ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--replication-factor", paramLabel = "R", defaultValue = "1",
      description = "Replication factor of topics it creates (default ${DEFAULT-VALUE}).")
  short replicationFactor;

  @Override
  public Integer call() {
    List<RecordedRun> runs = new ArrayList<>();
    for (Path file : files) {
      runs.add(RunArchive.read(file));
    }
    KafkaTopicsAdmin admin = new KafkaTopicsAdmin(partitions, replicationFactor);
    try (ClusterOptions.Cluster kafka = cluster.open(true, System.err)) {
      long events = new RunImporter(kafka.connection(), kafka.topics(), admin)
          .importRuns(runs);
      for (int i = 0; i < runs.size(); i++) {
        System.out.println("imported run " + runs.get(i).runId() + " ("
            + runs.get(i).events().size() + " events) from " + files.get(i));
      }
      System.out.println(events + " events published to " + kafka.bootstrapServers());
    }
    return 0;
  }
}
