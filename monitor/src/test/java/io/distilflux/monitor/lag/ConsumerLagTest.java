package io.distilflux.monitor.lag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.kafka.KafkaBroker;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Consumer lag read from the broker: end offsets against the group's commits. */
class ConsumerLagTest {

  @RegisterExtension static final KafkaBroker KAFKA = KafkaBroker.fromSwitch();

  @Test
  void lagIsEndMinusCommittedSummedOverPartitionsUncommittedOnesFromTheirStart() throws Exception {
    Topics topics = new Topics("lag.");
    KafkaTopicsAdmin.singleBroker().ensureTopics(KAFKA.bootstrapServers(), topics);
    String steps = topics.steps().topic();
    int onFirst = 10;
    int onSecond = 5;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()),
        new StringSerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < onFirst; i++) {
        producer.send(new ProducerRecord<>(steps, 0, "r", bytes(i))).get();
      }
      for (int i = 0; i < onSecond; i++) {
        producer.send(new ProducerRecord<>(steps, 1, "s", bytes(i))).get();
      }
    }
    int committed = 4;
    commit("lagging", new TopicPartition(steps, 0), committed);

    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (ConsumerLag lag = new ConsumerLag(KAFKA.bootstrapServers(), topics.prefix(),
        List.of("lagging", "never-committed"), registry)) {
      lag.measure();
      Gauge gauge = registry.get(ConsumerLag.METER).tags("group", "lagging", "topic", steps).gauge();
      assertEquals((onFirst - committed) + onSecond, gauge.value());
      assertNull(registry.find(ConsumerLag.METER).tag("group", "never-committed").gauge());

      commit("lagging", new TopicPartition(steps, 0), onFirst);
      lag.measure();
      assertEquals(onSecond, gauge.value());
    }
  }

  private static byte[] bytes(int i) {
    return Integer.toString(i).getBytes(StandardCharsets.UTF_8);
  }

  private static void commit(String group, TopicPartition partition, long offset) {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG, group),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(partition));
      consumer.commitSync(Map.of(partition, new OffsetAndMetadata(offset)));
    }
  }
}
