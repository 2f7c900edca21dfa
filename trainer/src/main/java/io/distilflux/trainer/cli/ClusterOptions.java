package io.distilflux.trainer.cli;

import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.kafka.EmbeddedKafka;
import io.distilflux.pipeline.kafka.KafkaConnection;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where recorded runs live: an external cluster ({@code --bootstrap-servers}) or the embedded
 * broker's kept log folder of earlier runs ({@code --kafka-dir}), started for the command.
 */
final class ClusterOptions {

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
      description = "The Kafka cluster holding the runs (default: none; give this or --kafka-dir).")
  String bootstrapServers;

  @Option(names = "--kafka-dir", paramLabel = "DIR",
      description = "Log folder of the embedded broker (as given to run --kafka-dir); the broker "
          + "is started on it for this command (default: none; give this or --bootstrap-servers).")
  Path kafkaDir;

  @Option(names = "--kafka-config", paramLabel = "FILE",
      description = "Kafka client properties of the --bootstrap-servers cluster "
          + "(security.protocol, sasl.*, ssl.*; default: none, plaintext).")
  Path kafkaConfig;

  @Option(names = "--topic-prefix", paramLabel = "P", defaultValue = "distilflux.",
      description = "Prefix of every topic (default ${DEFAULT-VALUE}).")
  String topicPrefix;

  /** The cluster, connected; an embedded broker is stopped on close. */
  record Cluster(KafkaConnection connection, Topics topics, Optional<EmbeddedKafka> embedded)
      implements AutoCloseable {

    String bootstrapServers() {
      return connection.bootstrapServers();
    }

    @Override
    public void close() {
      embedded.ifPresent(EmbeddedKafka::close);
    }
  }

  /**
   * Opens the cluster.
   *
   * @param mayCreate whether a missing {@code --kafka-dir} may be created (an import target)
   * @throws IllegalArgumentException when neither or both are given, or the folder is missing
   */
  Cluster open(boolean mayCreate, PrintStream log) {
    Topics topics = new Topics(topicPrefix);
    if ((bootstrapServers == null) == (kafkaDir == null)) {
      throw new IllegalArgumentException(
          "give exactly one of --bootstrap-servers HOST:PORT and --kafka-dir DIR");
    }
    if (bootstrapServers != null) {
      if (bootstrapServers.isBlank()) {
        throw new IllegalArgumentException("--bootstrap-servers must not be blank");
      }
      KafkaConnection connection = kafkaConfig == null
          ? KafkaConnection.plain(bootstrapServers)
          : KafkaConnection.withConfigFile(bootstrapServers, kafkaConfig);
      connection.check(KafkaConnection.CHECK_TIMEOUT);
      return new Cluster(connection, topics, Optional.empty());
    }
    if (kafkaConfig != null) {
      throw new IllegalArgumentException(
          "--kafka-config goes with --bootstrap-servers; the embedded broker needs none");
    }
    if (!mayCreate && !Files.isDirectory(kafkaDir)) {
      throw new IllegalArgumentException("--kafka-dir folder not found: " + kafkaDir);
    }
    if (Files.exists(kafkaDir) && !Files.isDirectory(kafkaDir)) {
      throw new IllegalArgumentException("--kafka-dir is not a folder: " + kafkaDir);
    }
    long begin = System.nanoTime();
    EmbeddedKafka kafka = EmbeddedKafka.start(kafkaDir);
    log.printf("embedded Kafka on %s at %s (started in %.1f s)%n", kafkaDir,
        kafka.bootstrapServers(), (System.nanoTime() - begin) / 1e9);
    return new Cluster(KafkaConnection.plain(kafka.bootstrapServers()), topics,
        Optional.of(kafka));
  }
}
