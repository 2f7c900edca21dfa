package io.distilflux.trainer.cli;

import picocli.CommandLine.Option;

/** Flags shared by the standalone services: where Kafka is and how topics are named. */
final class ServiceOptions {

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", required = true,
      description = "The Kafka cluster the service reads from and writes to.")
  String bootstrapServers;

  @Option(names = "--topic-prefix", paramLabel = "P", defaultValue = "distilflux.",
      description = "Prefix of every topic (default ${DEFAULT-VALUE}).")
  String topicPrefix;

  @Option(names = "--create-topics", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
      defaultValue = "true",
      description = "Create missing topics with their partitions and retention (default ${DEFAULT-VALUE}).")
  boolean createTopics;
}
