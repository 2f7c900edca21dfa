package io.distilflux.pipeline.kafka;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

/**
 * How to reach a Kafka cluster: its bootstrap servers and the standard client properties every
 * producer, consumer and admin client of the process gets (security: {@code security.protocol},
 * {@code sasl.mechanism}, {@code sasl.jaas.config}, {@code ssl.*}), as read from a
 * {@code --kafka-config} file.
 *
 * @param bootstrapServers {@code host:port[,host:port]}
 * @param properties client properties added to every client's configuration
 */
public record KafkaConnection(String bootstrapServers, Map<String, String> properties) {

  /**
   * Properties the clients' own configuration decides: a file may not override them, since the
   * guarantees of the pipeline (idempotence, acks=all, manual commits, the serdes) rest on them.
   */
  private static final Set<String> RESERVED = Set.of(
      "bootstrap.servers", "enable.idempotence", "acks", "enable.auto.commit",
      "key.serializer", "value.serializer", "key.deserializer", "value.deserializer",
      "group.id", "auto.offset.reset", "transactional.id");

  /** How long {@link #check} waits for a cluster by default. */
  public static final Duration CHECK_TIMEOUT = Duration.ofSeconds(10);

  /** Validates and copies. */
  public KafkaConnection {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    if (bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrap servers must not be blank");
    }
    properties = Map.copyOf(properties);
    for (String key : properties.keySet()) {
      if (RESERVED.contains(key)) {
        throw new IllegalArgumentException("client property " + key
            + " is set by distilflux itself and cannot be given in a Kafka config file");
      }
    }
  }

  /** A cluster reached without extra client properties (plaintext, no authentication). */
  public static KafkaConnection plain(String bootstrapServers) {
    return new KafkaConnection(bootstrapServers, Map.of());
  }

  /**
   * The cluster with the client properties of a Java properties file ({@code key=value}).
   *
   * @throws IllegalArgumentException when the file cannot be read or sets a reserved property
   */
  public static KafkaConnection withConfigFile(String bootstrapServers, Path file) {
    Properties loaded = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      loaded.load(reader);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("Kafka config file not found: " + file);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot read Kafka config file " + file + ": "
          + e.getMessage());
    }
    Map<String, String> properties = new TreeMap<>();
    loaded.stringPropertyNames().forEach(name -> properties.put(name, loaded.getProperty(name)));
    return new KafkaConnection(bootstrapServers, properties);
  }

  /** The same cluster with another bootstrap address (the properties kept). */
  public KafkaConnection withBootstrapServers(String servers) {
    return new KafkaConnection(servers, properties);
  }

  /**
   * A client configuration: bootstrap servers, the file's properties, then the client's own
   * settings, which take precedence.
   */
  public Map<String, Object> clientConfig(Map<String, Object> own) {
    Map<String, Object> config = new HashMap<>(properties);
    config.put("bootstrap.servers", bootstrapServers);
    config.putAll(own);
    return config;
  }

  /** The configuration of an admin client. */
  public Map<String, Object> adminConfig() {
    return clientConfig(Map.of());
  }

  /**
   * Asks the cluster for its nodes, so that a client without the right credentials, or a cluster
   * that cannot be reached, is told in one line within {@code timeout} instead of retrying in
   * the background.
   *
   * @throws IllegalArgumentException with a one-line reason: the address or the credentials
   *     given do not work
   */
  public void check(Duration timeout) {
    Map<String, Object> config = clientConfig(Map.of(
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
        AdminClientConfig.CLIENT_ID_CONFIG, "distilflux-check"));
    try (Admin admin = Admin.create(config)) {
      admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw refused(e.getCause(), timeout);
    } catch (TimeoutException e) {
      throw refused(e, timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalArgumentException("interrupted while reaching Kafka at " + bootstrapServers);
    } catch (KafkaException e) {
      throw new IllegalArgumentException("cannot connect to Kafka at " + bootstrapServers + ": "
          + firstLine(e));
    }
  }

  private IllegalArgumentException refused(Throwable cause, Duration timeout) {
    if (cause instanceof AuthenticationException) {
      return new IllegalArgumentException("Kafka at " + bootstrapServers
          + " refused the credentials: " + firstLine(cause));
    }
    if (cause instanceof AuthorizationException) {
      return new IllegalArgumentException("Kafka at " + bootstrapServers
          + " refused the request: " + firstLine(cause));
    }
    return new IllegalArgumentException("Kafka at " + bootstrapServers + " did not answer within "
        + timeout.toSeconds() + " s (unreachable, or its listener needs credentials: "
        + (properties.isEmpty() ? "give them with --kafka-config" : "check --kafka-config")
        + ")");
  }

  private static String firstLine(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.lines().findFirst().orElse(message);
  }
}
