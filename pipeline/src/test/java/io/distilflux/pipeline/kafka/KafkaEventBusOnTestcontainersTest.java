package io.distilflux.pipeline.kafka;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledIf;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The bus contract against a real Apache Kafka image; skipped when no Docker engine answers
 * within a few seconds.
 */
@EnabledIf("dockerAvailable")
class KafkaEventBusOnTestcontainersTest extends KafkaEventBusContract {

  private static final String IMAGE = "apache/kafka:4.1.0";
  private static KafkaContainer kafka;

  static boolean dockerAvailable() {
    // The probe may block on a missing socket; never let it hang the build.
    CompletableFuture<Boolean> probe =
        CompletableFuture.supplyAsync(() -> {
          try {
            return DockerClientFactory.instance().isDockerAvailable();
          } catch (RuntimeException e) {
            return false;
          }
        });
    try {
      return probe.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      probe.cancel(true);
      return false;
    }
  }

  @BeforeAll
  static void startBroker() {
    kafka = new KafkaContainer(IMAGE);
    kafka.start();
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.stop();
    }
  }

  @Override
  String bootstrapServers() {
    return kafka.getBootstrapServers();
  }
}
