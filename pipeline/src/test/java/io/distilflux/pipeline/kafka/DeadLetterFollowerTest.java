package io.distilflux.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.distilflux.pipeline.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Letters of two writers for one record (two processes that rejected it at once) count once;
 * letters written before and after the follower started are all seen; what is not a letter on
 * the topic is passed over.
 */
class DeadLetterFollowerTest {

  @Test
  void everyRecordWithALetterIsToldOnceWhoeverWroteIt() throws Exception {
    Topics topics = new Topics("follow.");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      KafkaTopicsAdmin.singleBroker().ensureTopics(kafka.bootstrapServers(), topics);
      DeadLetter first = DeadLetter.of("follow.steps", 0, 7, "run-a", "not JSON", new byte[3]);
      DeadLetter second = DeadLetter.of("follow.steps", 0, 8, "run-a", "not JSON", new byte[3]);
      DeadLetter third = DeadLetter.of("follow.steps", 0, 9, "run-a", "not JSON", new byte[3]);
      List<DeadLetter> told = new CopyOnWriteArrayList<>();
      try (KafkaProducer<String, byte[]> writer = new KafkaProducer<>(
          Map.of("bootstrap.servers", kafka.bootstrapServers()), new StringSerializer(),
          new ByteArraySerializer())) {
        writer.send(new ProducerRecord<>(topics.deadLetter(), "run-a", first.toJson())).get();
        writer.send(new ProducerRecord<>(topics.deadLetter(), "run-a", first.toJson())).get();
        writer.send(new ProducerRecord<>(topics.deadLetter(), "run-a",
            "not a letter".getBytes(StandardCharsets.UTF_8))).get();
        try (DeadLetterFollower follower = DeadLetterFollower.start(
            KafkaConnection.plain(kafka.bootstrapServers()), topics.deadLetter(), told::add)) {
          writer.send(new ProducerRecord<>(topics.deadLetter(), "run-a", second.toJson())).get();
          writer.send(new ProducerRecord<>(topics.deadLetter(), "run-a", second.toJson())).get();
          // A repeat of the first, then a new record: all on one partition, so once the new one
          // is told the repeat has been read.
          writer.send(new ProducerRecord<>(topics.deadLetter(), "run-a", first.toJson())).get();
          writer.send(new ProducerRecord<>(topics.deadLetter(), "run-a", third.toJson())).get();
          Mono.fromCallable(() -> told.stream().anyMatch(l -> l.offset() == 9))
              .filter(Boolean::booleanValue)
              .repeatWhenEmpty(300, f -> f.delayElements(Duration.ofMillis(100)))
              .block(Duration.ofSeconds(60));
        }
      }
      assertEquals(List.of(7L, 8L, 9L), told.stream().map(DeadLetter::offset).toList());
    }
  }
}
