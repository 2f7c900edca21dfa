package io.distilflux.pipeline.kafka;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

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
}
