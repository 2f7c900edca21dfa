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
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.kafka.KafkaBroker;
import io.distilflux.pipeline.kafka.KafkaBusSettings;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import io.distilflux.pipeline.kafka.TestKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;

/**
 * The meta-optimizer with many runs waiting at once: the hypergradients one poll brings are all
 * decided, their updates leave in a few produce requests rather than one each, and the whole
 * batch is committed with one commit once its updates are written. Counted by the embedded
 * broker's own request meters, so it runs on the embedded broker whatever the Kafka switch says.
 */
class MetaOptimizerBatchingTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int RUNS = 40;
  private static final int STEPS = 25;
  @RegisterExtension static final KafkaBroker KAFKA = KafkaBroker.of(TestKafka.Mode.EMBEDDED);

  @Test
  void manyRunsHypergradientsOfOnePollLeaveInFewRequestsAndAreCommittedOnce() throws Exception {
    Topics topics = new Topics("b" + UUID.randomUUID().toString().substring(0, 8) + ".");
    KafkaTopicsAdmin.singleBroker().ensureTopics(KAFKA.bootstrapServers(), topics);
    List<HyperGradient> waiting = new ArrayList<>();
    for (int r = 0; r < RUNS; r++) {
      waiting.add(new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "run-" + r, 0,
          new Unconstrained(r, 0, 0), new Unconstrained(0.5, 0, 0), 1.0, 0.01));
    }
    try (KafkaEventBus trainers = KafkaEventBus.connect(KAFKA.bootstrapServers(), topics)) {
      // the meta-optimizer answers only runs whose RunStarted it has seen
      List<RunStarted> starts = new ArrayList<>();
      for (int r = 0; r < RUNS; r++) {
        starts.add(MetaOptimizerServiceTest.runStarted("run-" + r, OptimizerKind.SGD, 0.1, 1.0));
      }
      trainers.publish(topics.runs(), Flux.fromIterable(starts)).blockLast(WAIT);
      trainers.publish(topics.hyperGradients(), Flux.fromIterable(waiting)).blockLast(WAIT);
    }
    long produced = KafkaBroker.produceRequests(topics.metaParams().topic());
    long commits = KafkaBroker.meterCount("kafka.network:type=RequestMetrics,name=RequestsPerSec,"
        + "request=OffsetCommit,*");
    // Only the subscription's end commits here, so the count is the batch's commits alone.
    KafkaBusSettings settings = KafkaBusSettings.defaults().withCommitInterval(Duration.ofHours(1));
    try (KafkaEventBus bus = KafkaEventBus.connect(KAFKA.bootstrapServers(), topics, settings,
        letter -> {})) {
      MetaOptimizerService service = new MetaOptimizerService(bus, topics, "batching",
          new MetaOptimizerSettings(OptimizerKind.SGD, 0.1, 1.0));
      service.start();
      Set<String> answered = new HashSet<>();
      bus.consume(topics.metaParams(), ConsumerOptions.wholeHistory("reader"))
          .map(Received::event)
          .takeUntil(p -> answered.add(p.runId()) && answered.size() == RUNS)
          .blockLast(WAIT);
      assertEquals(RUNS, service.stats().updates());
      service.close();
      awaitCommitted(topics.hyperGradients().topic(), "batching");
    }
    long produceRequests = KafkaBroker.produceRequests(topics.metaParams().topic()) - produced;
    long commitRequests = KafkaBroker.meterCount("kafka.network:type=RequestMetrics,name=RequestsPerSec,"
        + "request=OffsetCommit,*") - commits;
    assertTrue(produceRequests <= RUNS / 3,
        RUNS + " updates in " + produceRequests + " produce requests");
    assertEquals(1, commitRequests, "one commit for the batch");
  }

  /**
   * Reading the hypergradients in batches (for trainers that run ahead of the service) changes
   * only when they are read: every run gets the updates, each version once, of a service that
   * answers each hypergradient at once.
   */
  @Test
  void aServiceReadingInBatchesPublishesTheUpdatesOfOneAnsweringEachAtOnce() {
    Map<String, List<MetaParams>> atOnce = updatesOf(Duration.ZERO);
    Map<String, List<MetaParams>> batched = updatesOf(Duration.ofMillis(25));
    assertEquals(4, atOnce.size());
    for (List<MetaParams> run : atOnce.values()) {
      assertEquals(STEPS, run.size());
      for (int v = 0; v < STEPS; v++) {
        assertEquals(v + 1, run.get(v).version(), "versions 1.." + STEPS + " in order");
      }
    }
    assertEquals(atOnce, batched);
  }

  /** The updates a service with this batch wait publishes for 4 runs' 25 steps, by run. */
  private static Map<String, List<MetaParams>> updatesOf(Duration batchWait) {
    Topics topics = new Topics("w" + UUID.randomUUID().toString().substring(0, 8) + ".");
    KafkaTopicsAdmin.singleBroker().ensureTopics(KAFKA.bootstrapServers(), topics);
    List<RunStarted> starts = new ArrayList<>();
    List<HyperGradient> steps = new ArrayList<>();
    for (int r = 0; r < 4; r++) {
      starts.add(MetaOptimizerServiceTest.runStarted("run-" + r, OptimizerKind.SGD, 0.1, 1.0));
      for (int t = 0; t < STEPS; t++) {
        steps.add(new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "run-" + r, t,
            new Unconstrained(0.1 * r, 0.01 * t, 0.5), new Unconstrained(0.3 - 0.02 * t, r, -1),
            1.0, 0.01));
      }
    }
    try (KafkaEventBus bus = KafkaEventBus.connect(KAFKA.bootstrapServers(), topics);
        MetaOptimizerService service = new MetaOptimizerService(bus, topics, "waits",
            new MetaOptimizerSettings(OptimizerKind.SGD, 0.1, 1.0), batchWait)) {
      bus.publish(topics.runs(), Flux.fromIterable(starts)).blockLast(WAIT);
      service.start();
      bus.publish(topics.hyperGradients(), Flux.fromIterable(steps)).blockLast(WAIT);
      Map<String, List<MetaParams>> byRun = new java.util.TreeMap<>();
      bus.consume(topics.metaParams(), ConsumerOptions.wholeHistory("reader"))
          .map(Received::event)
          .take(4L * STEPS)
          .doOnNext(p -> byRun.computeIfAbsent(p.runId(), id -> new ArrayList<>()).add(p))
          .blockLast(WAIT);
      return byRun;
    }
  }

  /** Waits until the group has committed every record of the topic. */
  private static void awaitCommitted(String topic, String group) throws Exception {
    try (Admin admin = Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
        for (int p = 0; p < KafkaTopicsAdmin.DEFAULT_PARTITIONS; p++) {
          latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        var ends = admin.listOffsets(latest).all().get();
        boolean all = ends.entrySet().stream().allMatch(e -> e.getValue().offset() == 0
            || (committed.get(e.getKey()) != null
                && committed.get(e.getKey()).offset() == e.getValue().offset()));
        if (all) {
          return;
        }
        Thread.sleep(50);
      }
      throw new AssertionError("the group did not commit every hypergradient within " + WAIT);
    }
  }
}
