package io.distilflux.pipeline.kafka;

import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The bus contract against the in-process KRaft broker (the one {@code distilflux run} starts),
 * whatever the {@link TestKafka} switch says; started once for the class.
 */
class KafkaEventBusOnEmbeddedBrokerTest extends KafkaEventBusContract {

  @RegisterExtension static final KafkaBroker KAFKA = KafkaBroker.of(TestKafka.Mode.EMBEDDED);

  @Override
  String bootstrapServers() {
    return KAFKA.bootstrapServers();
  }
}
