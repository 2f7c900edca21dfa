package io.distilflux.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {

  @Test
  void temporaryLogDirIsDeletedOnClose() throws Exception {
    Path dir;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      dir = kafka.logDir();
      assertTrue(Files.isDirectory(dir));
      assertTrue(kafka.bootstrapServers().startsWith("127.0.0.1:"));
      assertTrue(kafka.startupTime().compareTo(Duration.ZERO) > 0);
    }
    assertFalse(Files.exists(dir));
  }

  @Test
  void theLogCleanerKeyMapIsSizedForTheOffsetsTopicNotKafkasDefault() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        Admin admin = Admin.create(Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
      String size = admin.describeConfigs(List.of(broker)).all().get(30, TimeUnit.SECONDS)
          .get(broker).get("log.cleaner.dedupe.buffer.size").value();
      // Kafka's default, 128 MiB, is allocated and zeroed on the heap as the broker starts.
      assertEquals(4L << 20, Long.parseLong(size));
    }
  }

  @Test
  void aLogDirThatIsAFileIsRejectedNamingIt(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
    var error = org.junit.jupiter.api.Assertions.assertThrows(
        RuntimeException.class, () -> EmbeddedKafka.start(file));
    assertTrue(error.getMessage().contains(file.toString()), error.getMessage());
  }

  @Test
  void aSecondBrokerOnAKeptLogDirInUseIsRefusedBeforeItStarts(@TempDir Path dir)
      throws Exception {
    Path log = dir.resolve("log");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(log)) {
      IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
          IllegalArgumentException.class, () -> EmbeddedKafka.start(log));
      assertTrue(refused.getMessage().contains(log.toAbsolutePath() + " is in use"),
          refused.getMessage());
    }
    try (EmbeddedKafka again = EmbeddedKafka.start(log)) {
      assertEquals(log.toAbsolutePath(), again.logDir()); // closed, the folder is free again
    }
  }

  @Test
  void recordsInAGivenLogDirSurviveARestart(@TempDir Path dir) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("log"))) {
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(
              Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
              new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("kept", "run", "hello")).get(30, TimeUnit.SECONDS);
      }
    }
    assertTrue(Files.isDirectory(dir.resolve("log")));
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("log"));
        KafkaConsumer<String, String> consumer =
            new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringDeserializer(), new StringDeserializer())) {
      TopicPartition partition = new TopicPartition("kept", 0);
      consumer.assign(Set.of(partition));
      consumer.seekToBeginning(Set.of(partition));
      ConsumerRecords<String, String> records = ConsumerRecords.empty();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (records.isEmpty() && System.nanoTime() < deadline) {
        records = consumer.poll(Duration.ofMillis(200));
      }
      assertEquals(1, records.count());
      assertEquals("hello", records.iterator().next().value());
    }
  }
}
