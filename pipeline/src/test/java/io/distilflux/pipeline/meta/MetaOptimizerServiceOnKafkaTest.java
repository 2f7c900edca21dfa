package io.distilflux.pipeline.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.kafka.KafkaBroker;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;

/**
 * The service through Kafka (the embedded broker or Testcontainers, see
 * {@link io.distilflux.pipeline.kafka.TestKafka}): restart mid-stream, and a group of two.
 */
class MetaOptimizerServiceOnKafkaTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final MetaOptimizerSettings SGD =
      new MetaOptimizerSettings(OptimizerKind.SGD, 0.1, 1.0);
  @RegisterExtension static final KafkaBroker KAFKA = KafkaBroker.fromSwitch();

  private Topics topics;

  @BeforeEach
  void freshTopics() {
    topics = new Topics("m" + UUID.randomUUID().toString().substring(0, 8) + ".");
    KafkaTopicsAdmin.singleBroker().ensureTopics(KAFKA.bootstrapServers(), topics);
  }

  @Test
  void restartMidStreamContinuesTheRunWithoutPublishingAVersionTwice() {
    try (KafkaEventBus bus = KafkaEventBus.connect(KAFKA.bootstrapServers(), topics)) {
      started(bus, "r");
      MetaOptimizerService first = new MetaOptimizerService(bus, topics, "meta", SGD);
      first.start();
      send(bus, steps("r", 0, 5));
      readUntil(bus, p -> p.version() == 5);
      first.close();

      try (MetaOptimizerService second = new MetaOptimizerService(bus, topics, "meta", SGD)) {
        second.start();
        // The trainer resends the last hypergradient, then goes on.
        send(bus, steps("r", 4, 9));
        List<MetaParams> all = readUntil(bus, p -> p.version() == 9);
        assertEquals(
            List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L),
            all.stream().map(MetaParams::version).toList());
        assertEquals(4, second.stats().updates());
      }
    }
  }

  @Test
  void twoInstancesInOneGroupServeEveryRunOncePerVersion() {
    int runs = 8;
    int steps = 4;
    try (KafkaEventBus busA = KafkaEventBus.connect(KAFKA.bootstrapServers(), topics);
        KafkaEventBus busB = KafkaEventBus.connect(KAFKA.bootstrapServers(), topics);
        MetaOptimizerService a = new MetaOptimizerService(busA, topics, "meta", SGD);
        MetaOptimizerService b = new MetaOptimizerService(busB, topics, "meta", SGD)) {
      for (int r = 0; r < runs; r++) {
        started(busA, "run-" + r);
      }
      a.start();
      b.start();
      List<HyperGradient> inputs = new ArrayList<>();
      for (int r = 0; r < runs; r++) {
        inputs.addAll(steps("run-" + r, 0, steps));
      }
      send(busA, inputs);
      // Partitions are read in no global order, so read until every (run, version) arrived.
      Map<String, List<Long>> versions = new HashMap<>();
      List<MetaParams> all =
          bus(busA)
              .takeUntil(
                  p -> {
                    versions.computeIfAbsent(p.runId(), k -> new ArrayList<>()).add(p.version());
                    return versions.values().stream().mapToInt(List::size).sum() == runs * steps;
                  })
              .collectList()
              .block(WAIT);
      assertEquals(runs * steps, all.size());
      versions.values().forEach(v -> assertEquals(List.of(1L, 2L, 3L, 4L), v));
      assertEquals(runs, versions.size());
      assertEquals(runs * steps, a.stats().updates() + b.stats().updates());
      // A rebalance while consuming hands some runs over, so both may have seen a run; the
      // redelivered hypergradients are then skipped as duplicates, never published twice.
      assertTrue(a.stats().runs() + b.stats().runs() >= runs);
    }
  }

  private void started(KafkaEventBus bus, String run) {
    bus.publish(topics.runs(), Flux.just(
            MetaOptimizerServiceTest.runStarted(run, OptimizerKind.SGD, 0.1, 1.0)))
        .blockLast(WAIT);
  }

  private static List<HyperGradient> steps(String run, long from, long toExclusive) {
    List<HyperGradient> out = new ArrayList<>();
    for (long t = from; t < toExclusive; t++) {
      out.add(
          new HyperGradient(
              Event.CURRENT_SCHEMA_VERSION, run, t, new Unconstrained(t, 0, 0),
              new Unconstrained(0.5, 0, 0), 1.0, 0.01));
    }
    return out;
  }

  private void send(KafkaEventBus bus, List<HyperGradient> gradients) {
    bus.publish(topics.hyperGradients(), Flux.fromIterable(gradients)).blockLast(WAIT);
  }

  private Flux<MetaParams> bus(KafkaEventBus bus) {
    return bus.consume(topics.metaParams(), ConsumerOptions.earliest("reader-" + UUID.randomUUID()))
        .map(Received::event);
  }

  private List<MetaParams> readUntil(KafkaEventBus bus, Predicate<MetaParams> last) {
    return bus(bus).takeUntil(last).collectList().block(WAIT);
  }
}
