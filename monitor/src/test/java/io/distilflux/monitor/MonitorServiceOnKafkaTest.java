package io.distilflux.monitor;

import static io.distilflux.monitor.TestEvents.hyperGradient;
import static io.distilflux.monitor.TestEvents.started;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunConfig.Mode;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.kafka.KafkaBusSettings;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import io.distilflux.pipeline.kafka.TestKafka;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * The monitor through Kafka (embedded or Testcontainers, see {@link TestKafka}): publish once,
 * restart, dead letters.
 */
class MonitorServiceOnKafkaTest {

  private static final String RUN = "kafka-run";

  @Test
  void publishesOneForecastAcrossARestartAndCountsDeadLetters() throws Exception {
    Topics topics = new Topics("monitor-it.");
    AtomicReference<MonitorService> current = new AtomicReference<>();
    try (TestKafka kafka = TestKafka.start()) {
      KafkaTopicsAdmin.singleBroker().ensureTopics(kafka.bootstrapServers(), topics);
      try (KafkaEventBus bus =
              KafkaEventBus.connect(kafka.bootstrapServers(), topics, KafkaBusSettings.defaults(),
                  letter -> current.get().metrics().deadLettered(letter.key()));
          Admin admin = Admin.create(
              Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        MonitorOptions options = MonitorOptions.defaults().withHttp("127.0.0.1", 0);

        PrometheusMeterRegistry first = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (MonitorService service = new MonitorService(bus, topics, "monitor", first, options)) {
          current.set(service);
          service.start();
          send(bus, topics, List.of(started(RUN, Mode.FORECAST, 4, 2)), topics.runs());
          List<HyperGradient> points = List.of(point(0), point(1), point(2), point(3));
          send(bus, topics, points, topics.hyperGradients());
          await(() -> forecastsWritten(admin, topics) == 1, "the forecast");

          try (KafkaProducer<String, byte[]> raw = rawProducer(kafka.bootstrapServers())) {
            raw.send(new ProducerRecord<>(topics.hyperGradients().topic(), RUN,
                "not json".getBytes(StandardCharsets.UTF_8))).get();
          }
          await(() -> count(first, "distilflux.events.deadlettered") == 1, "the dead letter");
        }

        // Same group after a restart: the committed hypergradients are not redelivered, and
        // replayed duplicates of the settled period publish nothing.
        PrometheusMeterRegistry second = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (MonitorService service = new MonitorService(bus, topics, "monitor", second, options)) {
          current.set(service);
          service.start();
          send(bus, topics, List.of(point(3), point(1)), topics.hyperGradients());
          await(() -> count(second, "distilflux.hypergradient.received") == 2,
              "the duplicates");
          await(() -> count(second, "distilflux.forecasts") == 1, "the forecast read back");
          assertEquals(1, forecastsWritten(admin, topics));
        }
      }
    }
  }

  private static HyperGradient point(long step) {
    return hyperGradient(RUN, step, new Unconstrained(0.5 + 0.1 * step, -1, 2));
  }

  private static <E extends Event> void send(
      KafkaEventBus bus, Topics topics, List<E> events, io.distilflux.pipeline.Channel<E> channel) {
    bus.publish(channel, Flux.fromIterable(events)).blockLast(Duration.ofSeconds(30));
  }

  private static double count(PrometheusMeterRegistry registry, String name) {
    Counter counter = registry.find(name).tag("run", RUN).counter();
    return counter == null ? 0 : counter.count();
  }

  private static long forecastsWritten(Admin admin, Topics topics) {
    try {
      String topic = topics.forecasts().topic();
      int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get()
          .get(topic).partitions().size();
      Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
      for (int p = 0; p < partitions; p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      return admin.listOffsets(latest).all().get().values().stream()
          .mapToLong(info -> info.offset())
          .sum();
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the forecasts topic's offsets", e);
    }
  }

  private static KafkaProducer<String, byte[]> rawProducer(String bootstrap) {
    return new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
        new StringSerializer(), new ByteArraySerializer());
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}
