package io.distilflux.pipeline.kafka;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The bus contract against the in-process KRaft broker, started once for the class. */
class KafkaEventBusOnEmbeddedBrokerTest extends KafkaEventBusContract {

  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Override
  String bootstrapServers() {
    return kafka.bootstrapServers();
  }
}
