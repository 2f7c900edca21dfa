package io.distilflux.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunConfig.Mode;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.kafka.DeadLetter;
import io.distilflux.pipeline.kafka.EmbeddedKafka;
import io.distilflux.pipeline.kafka.KafkaBusSettings;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import io.distilflux.pipeline.meta.MetaOptimizerService;
import io.distilflux.pipeline.meta.MetaOptimizerSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Malformed records on every event topic, between valid ones, while the meta-optimizer and the
 * monitor consume: random bytes, truncated JSON, wrong field types, huge numbers, NaN and
 * infinities, unknown run ids, future schema versions and events on the wrong topic. Whether a
 * record is malformed is what {@link EventCodec} says of it; every malformed one must reach the
 * dead-letter topic with a reason, once. Well-formed records that do not fit (a key that is not
 * their run id, a run that never started, a version or forecast out of the run's sequence) are
 * dead-lettered too, once, with a reason that names the run; the services must process every
 * record of the run that fits.
 */
class FuzzedRecordsOnKafkaTest {

  private static final int VALID_STEPS = 12;
  private static final int BAD_PER_TOPIC = 40;

  private record Coordinates(String topic, int partition, long offset) {}

  @Test
  void everyBadRecordIsDeadLetteredAndEveryValidOneProcessed() throws Exception {
    Topics topics = new Topics("fuzz.");
    Map<Coordinates, String> deadLettered = new ConcurrentHashMap<>();
    java.util.concurrent.atomic.AtomicInteger letters = new java.util.concurrent.atomic.AtomicInteger();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      KafkaTopicsAdmin.singleBroker().ensureTopics(kafka.bootstrapServers(), topics);
      try (KafkaEventBus bus = KafkaEventBus.connect(kafka.bootstrapServers(), topics,
              KafkaBusSettings.defaults(), (DeadLetter letter) -> {
                letters.incrementAndGet();
                deadLettered.put(
                    new Coordinates(letter.topic(), letter.partition(), letter.offset()),
                    letter.reason());
              });
          MetaOptimizerService meta = new MetaOptimizerService(bus, topics, "fuzz-meta",
              MetaOptimizerSettings.defaults());
          MonitorService monitor = new MonitorService(bus, topics, "fuzz-monitor", registry,
              MonitorOptions.defaults().withHttp("127.0.0.1", 0));
          KafkaProducer<String, byte[]> producer = producer(kafka.bootstrapServers())) {
        meta.start();
        monitor.start();

        Random random = new Random(7);
        List<Event> templates = new ArrayList<>();
        templates.add(TestEvents.started("fuzz-a", Mode.HYPERGRADIENT, 4, 2));
        for (int t = 0; t < VALID_STEPS; t++) {
          templates.add(TestEvents.step("fuzz-a", t, Phase.HYPERGRADIENT, 1_000L + t));
          templates.add(TestEvents.hyperGradient("fuzz-a", t, new Unconstrained(0.1, 0.2, 0.3)));
          templates.add(TestEvents.hyperGradient("ghost-" + t, 0, new Unconstrained(0, 0, 0)));
          templates.add(TestEvents.evaluation("fuzz-a", t));
        }
        Set<Coordinates> bad = ConcurrentHashMap.newKeySet();
        int tried = 0;
        int valid = 0;
        List<Channel<?>> channels = List.of(topics.steps(), topics.hyperGradients(),
            topics.metaParams(), topics.forecasts(), topics.evaluations(), topics.runs());
        // valid events first on their own topics, bad records interleaved on every topic
        for (Event event : templates) {
          Channel<?> channel = topics.channelOf(event);
          send(producer, channel.topic(), event.runId(), EventCodec.encode(event));
          tried++;
          valid++;
          Channel<?> target = channels.get(random.nextInt(channels.size()));
          byte[] payload = mutate(EventCodec.encode(event), random);
          if (isValid(payload, target)) {
            valid++;
            send(producer, target.topic(), event.runId(), payload);
          } else {
            bad.add(send(producer, target.topic(), event.runId(), payload));
          }
          tried++;
        }
        for (Channel<?> channel : channels) {
          for (int i = 0; i < BAD_PER_TOPIC; i++) {
            byte[] payload = mutate(EventCodec.encode(templates.get(
                random.nextInt(templates.size()))), random);
            Coordinates at = send(producer, channel.topic(), "fuzz-a", payload);
            tried++;
            if (isValid(payload, channel)) {
              valid++;
            } else {
              bad.add(at);
            }
          }
        }
        System.out.printf("fuzz: %d records tried on %d topics, %d malformed, %d valid%n",
            tried, channels.size(), bad.size(), valid);

        awaitTrue(() -> deadLettered.keySet().containsAll(bad),
            () -> "not dead-lettered: " + bad.stream()
                .filter(c -> !deadLettered.containsKey(c)).limit(5).toList());
        assertTrue(bad.size() > BAD_PER_TOPIC * channels.size() / 2, "mostly bad: " + bad.size());
        assertFalse(deadLettered.values().stream().anyMatch(r -> r == null || r.isBlank()),
            "every dead letter has a reason");
        deadLettered.forEach((at, reason) -> assertTrue(bad.contains(at) || reason.contains("run"),
            "a well-formed record is dead-lettered only for not fitting its run: " + at + " "
                + reason));
        // Two groups read every hypergradient (the meta-optimizer's and the monitor's) and
        // readers of the whole history read the other topics: still one letter per record.
        assertEquals(deadLettered.size(), letters.get(), "each record dead-lettered once");
        awaitTrue(() -> registry.find("distilflux.steps").tag("run", "fuzz-a").counters()
                .stream().mapToDouble(c -> c.count()).sum() >= VALID_STEPS,
            () -> "the monitor missed valid steps");
        awaitTrue(() -> bus.replay(topics.metaParams())
                .filter(p -> p.runId().equals("fuzz-a")).count().block() >= VALID_STEPS,
            () -> "the meta-optimizer missed valid hypergradients");
        assertEquals(VALID_STEPS, bus.replay(topics.metaParams())
            .filter(p -> p.runId().equals("fuzz-a")).count().block(),
            "one update per valid hypergradient of fuzz-a");
        assertEquals(0, bus.replay(topics.metaParams())
            .filter(p -> p.runId().startsWith("ghost-")).count().block(),
            "nothing for runs that never started");
        assertFalse(registry.scrape().contains("ghost-"), "no meters for runs never started");
        assertTrue(monitor.health().up(), "monitor still healthy");
      }
    }
  }

  /** One of the malformations, chosen at random (some leave the record valid). */
  private static byte[] mutate(byte[] json, Random random) {
    String text = new String(json, StandardCharsets.UTF_8);
    return switch (random.nextInt(9)) {
      case 0 -> {
        byte[] noise = new byte[1 + random.nextInt(200)];
        random.nextBytes(noise);
        yield noise;
      }
      case 1 -> text.substring(0, random.nextInt(text.length())).getBytes(StandardCharsets.UTF_8);
      case 2 -> text.replaceFirst("\"step\":\\d+", "\"step\":\"seven\"").replaceFirst(
          "\"runId\":\"[^\"]*\"", "\"runId\":42").getBytes(StandardCharsets.UTF_8);
      case 3 -> text.replaceFirst("\"step\":\\d+", "\"step\":1" + "0".repeat(40))
          .getBytes(StandardCharsets.UTF_8);
      case 4 -> text.replaceFirst(":(-?\\d+\\.\\d+)", ":NaN").getBytes(StandardCharsets.UTF_8);
      case 5 -> text.replaceFirst(":(-?\\d+\\.\\d+)", ":1e999").getBytes(StandardCharsets.UTF_8);
      case 6 -> text.replaceFirst("\"schemaVersion\":\\d+", "\"schemaVersion\":99")
          .getBytes(StandardCharsets.UTF_8);
      case 7 -> text.replaceFirst("\"type\":\"[A-Za-z]+\"", "\"type\":\"Mystery\"")
          .getBytes(StandardCharsets.UTF_8);
      default -> new byte[0];
    };
  }

  private static boolean isValid(byte[] payload, Channel<?> channel) {
    try {
      EventCodec.decode(payload, channel.type());
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static Coordinates send(
      KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value)
      throws Exception {
    RecordMetadata m = producer.send(new ProducerRecord<>(topic, key, value)).get();
    return new Coordinates(m.topic(), m.partition(), m.offset());
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
  }

  private static void awaitTrue(BooleanSupplier condition, java.util.function.Supplier<String> what) {
    // On a thread that may block: some conditions read a topic.
    Mono.fromCallable(condition::getAsBoolean)
        .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic())
        .filter(Boolean::booleanValue)
        .repeatWhenEmpty(300, f -> f.delayElements(Duration.ofMillis(100)))
        .blockOptional(Duration.ofSeconds(60))
        .orElseThrow(() -> new AssertionError(what.get()));
  }
}
