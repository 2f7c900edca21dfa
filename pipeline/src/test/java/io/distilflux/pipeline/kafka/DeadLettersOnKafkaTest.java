package io.distilflux.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.Disposables;

/**
 * Records of 0.9 to 2 MB that cannot be read (the topic accepts them: its
 * {@code max.message.bytes} is raised, as an attacker's broker setting might be) each leave one
 * dead letter, cut to fit, with their size and SHA-256; read by two groups and a reader of the
 * whole history they are dead-lettered once, and a restarted reader does not write them again.
 */
class DeadLettersOnKafkaTest {

  private static final int[] SIZES = {900_000, 1_500_000, 2_000_000, 300};

  @Test
  void everyRejectedRecordLeavesOneLetterWithItsSizeAndHashHoweverLarge() throws Exception {
    Topics topics = new Topics("big.");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      KafkaTopicsAdmin.singleBroker().ensureTopics(kafka.bootstrapServers(), topics);
      String target = topics.hyperGradients().topic();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        admin.incrementalAlterConfigs(Map.of(
            new ConfigResource(ConfigResource.Type.TOPIC, target),
            List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", "3000000"),
                AlterConfigOp.OpType.SET)))).all().get();
      }
      List<byte[]> payloads = new ArrayList<>();
      Random random = new Random(3);
      try (KafkaProducer<String, byte[]> attacker = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
          ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 3_000_000),
          new StringSerializer(), new ByteArraySerializer())) {
        for (int size : SIZES) {
          byte[] payload = new byte[size];
          random.nextBytes(payload);
          payloads.add(payload);
          attacker.send(new ProducerRecord<>(target, "big-run", payload)).get();
        }
      }

      Map<Long, DeadLetter> letters = new ConcurrentHashMap<>();
      AtomicInteger calls = new AtomicInteger();
      try (KafkaEventBus bus = KafkaEventBus.connect(kafka.bootstrapServers(), topics,
          KafkaBusSettings.defaults(), letter -> {
            calls.incrementAndGet();
            letters.put(letter.offset(), letter);
          })) {
        Disposable.Composite readers = Disposables.composite(
            bus.consume(topics.hyperGradients(), ConsumerOptions.earliest("group-a")).subscribe(),
            bus.consume(topics.hyperGradients(), ConsumerOptions.earliest("group-b")).subscribe(),
            bus.consume(topics.hyperGradients(), ConsumerOptions.wholeHistory("history"))
                .subscribe());
        awaitTrue(() -> letters.size() == SIZES.length && deadLetters(kafka, topics).size()
            == SIZES.length);
        readers.dispose();
        assertEquals(SIZES.length, calls.get(), "one letter per record, not per reader");
        assertEquals(SIZES.length, bus.deadLetterCount());
      }

      List<DeadLetter> written = deadLetters(kafka, topics);
      for (DeadLetter letter : written) {
        byte[] original = payloads.get((int) letter.offset());
        assertEquals(original.length, letter.payloadBytes());
        assertEquals(DeadLetter.sha256(original), letter.payloadSha256());
        assertEquals(original.length > DeadLetter.MAX_KEPT_PAYLOAD, letter.truncated());
        byte[] kept = letter.payload();
        assertArrayEquals(Arrays.copyOf(original, kept.length), kept);
        assertTrue(letter.reason() != null && !letter.reason().isBlank());
      }

      // A restart reads the whole history again: the letters already written are known.
      AtomicInteger again = new AtomicInteger();
      try (KafkaEventBus restarted = KafkaEventBus.connect(kafka.bootstrapServers(), topics,
          KafkaBusSettings.defaults(), letter -> again.incrementAndGet())) {
        AtomicInteger seen = new AtomicInteger();
        Disposable hyper = restarted.consume(topics.hyperGradients(),
            ConsumerOptions.wholeHistory("history")).subscribe(r -> seen.incrementAndGet());
        // Nothing valid there: a valid record after them tells when the reader is past them.
        restarted.publish(topics.hyperGradients(), reactor.core.publisher.Flux.just(
                SampleEvents.hyperGradientWithNaN("big-run")))
            .blockLast(Duration.ofSeconds(30));
        awaitTrue(() -> seen.get() == 1);
        hyper.dispose();
      }
      assertEquals(0, again.get(), "no letter written twice across a restart");
      assertEquals(SIZES.length, deadLetters(kafka, topics).size());
    }
  }

  private static List<DeadLetter> deadLetters(EmbeddedKafka kafka, Topics topics) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    List<DeadLetter> letters = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topics.deadLetter()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          letters.add(DeadLetter.fromJson(record.value()));
          assertEquals("big-run", new String(record.key(), StandardCharsets.UTF_8));
        }
      }
    }
    return letters;
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition) {
    reactor.core.publisher.Mono.fromCallable(condition::getAsBoolean)
        .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic())
        .filter(Boolean::booleanValue)
        .repeatWhenEmpty(300, f -> f.delayElements(Duration.ofMillis(100)))
        .blockOptional(Duration.ofSeconds(60))
        .orElseThrow(() -> new AssertionError("condition not met within 60 s"));
  }
}
