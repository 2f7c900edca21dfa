package io.distilflux.trainer.cli;

import io.distilflux.pipeline.kafka.KafkaConnection;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Flags shared by the standalone services: where Kafka is and how topics are named. */
final class ServiceOptions {

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", required = true,
      description = "The Kafka cluster the service reads from and writes to.")
  String bootstrapServers;

  @Option(names = "--kafka-config", paramLabel = "FILE",
      description = "Kafka client properties for every producer, consumer and admin client "
          + "(security.protocol, sasl.*, ssl.*: SASL_SSL/SCRAM or mTLS; default: none, plaintext).")
  Path kafkaConfig;

  @Option(names = "--topic-prefix", paramLabel = "P", defaultValue = "distilflux.",
      description = "Prefix of every topic (default ${DEFAULT-VALUE}).")
  String topicPrefix;

  @Option(names = "--create-topics", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
      defaultValue = "true",
      description = "Create missing topics with their partitions and retention (default ${DEFAULT-VALUE}).")
  boolean createTopics;

  @Option(names = "--partitions", paramLabel = "N", defaultValue = "6",
      description = "Partitions of topics it creates (default ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--replication-factor", paramLabel = "R", defaultValue = "1",
      description = "Replication factor of topics it creates (default ${DEFAULT-VALUE}).")
  short replicationFactor;

  /**
   * The cluster with the client properties of {@code --kafka-config}, if given, once it has
   * answered (a refusal or no answer within 10 s is one line).
   */
  KafkaConnection connection() {
    KafkaConnection connection = kafkaConfig == null
        ? KafkaConnection.plain(bootstrapServers)
        : KafkaConnection.withConfigFile(bootstrapServers, kafkaConfig);
    connection.check(KafkaConnection.CHECK_TIMEOUT);
    return connection;
  }

  /** How missing topics are created. */
  KafkaTopicsAdmin admin() {
    return new KafkaTopicsAdmin(partitions, replicationFactor);
  }
}
