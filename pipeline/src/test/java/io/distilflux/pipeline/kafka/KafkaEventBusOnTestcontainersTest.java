package io.distilflux.pipeline.kafka;

import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The bus contract against the real Apache Kafka image ({@link TestKafka#IMAGE}); skipped
 * when Docker cannot start it in time, and when the switch says {@code embedded}.
 */
class KafkaEventBusOnTestcontainersTest extends KafkaEventBusContract {

  @RegisterExtension static final KafkaBroker KAFKA = KafkaBroker.testcontainers();

  @Override
  String bootstrapServers() {
    return KAFKA.bootstrapServers();
  }
}
