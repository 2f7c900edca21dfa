package io.distilflux.trainer.cli;

import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.kafka.EmbeddedKafka;
import io.distilflux.pipeline.kafka.KafkaConnection;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code distilflux broker}: the embedded single-node KRaft broker as a long-running local
 * service, so that jobs ({@code run --bootstrap-servers}), the standalone services and the
 * recorded-run commands share one broker that stays up between them, without a Kafka
 * installation. It listens on loopback only and without authentication: a broker other hosts
 * reach is a Kafka cluster of its own (see docker/).
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
    description = {
      "Runs the embedded Kafka broker on this host until stopped, its log kept in --kafka-dir.",
      "Jobs and services reach it with --bootstrap-servers 127.0.0.1:PORT; it listens on loopback only."
    })
final class BrokerCommand implements Callable<Integer> {

  @Option(names = "--kafka-dir", paramLabel = "DIR", defaultValue = "kafka-log",
      description = "Log folder, created when missing and kept: topics and records survive a "
          + "restart (default ${DEFAULT-VALUE}).")
  Path kafkaDir;

  @Bounds(min = 1, max = 65535)
  @Option(names = "--port", paramLabel = "PORT", defaultValue = "9092",
      description = "Port of the client listener on 127.0.0.1 (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--topic-prefix", paramLabel = "P", defaultValue = "distilflux.",
      description = "Prefix of the topics created at start (default ${DEFAULT-VALUE}).")
  String topicPrefix;

  @Bounds(min = 1)
  @Option(names = "--partitions", paramLabel = "N", defaultValue = "1",
      description = "Partitions of the topics created at start (default ${DEFAULT-VALUE}: on one "
          + "broker a partition a topic serves one instance of each service best; give more to "
          + "scale a service's group out).")
  int partitions;

  @Override
  public Integer call() throws InterruptedException {
    OptionBounds.check(this, name -> Optional.empty());
    Topics topics = new Topics(topicPrefix);
    KafkaTopicsAdmin admin = new KafkaTopicsAdmin(partitions, (short) 1);
    ensurePortFree(port);
    UntilStopped stop = new UntilStopped("broker");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(kafkaDir, port)) {
      admin.ensureTopics(KafkaConnection.plain(kafka.bootstrapServers()), topics);
      System.err.printf("broker running at %s (started in %.1f s), log in %s; stop with Ctrl-C%n",
          kafka.bootstrapServers(), kafka.startupTime().toMillis() / 1000.0, kafka.logDir());
      System.err.println("use it with: run --bootstrap-servers " + kafka.bootstrapServers());
      stop.await();
      System.err.println("broker stopping; its log stays in " + kafka.logDir());
    } finally {
      stop.closed();
    }
    return 0;
  }

  /** A port already taken is one line here, not a bind failure deep in the broker's start. */
  private static void ensurePortFree(int port) {
    try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      // bound and closed at once: the broker can bind it
    } catch (IOException e) {
      throw new IllegalArgumentException("--port " + port + " is in use on 127.0.0.1 (another "
          + "broker?); give another with --port");
    }
  }
}
