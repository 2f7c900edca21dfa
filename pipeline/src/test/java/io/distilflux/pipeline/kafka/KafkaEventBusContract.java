package io.distilflux.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Delivery;
import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.WallClock;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.RunEvent;
import io.distilflux.pipeline.event.TrainingStep;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * Behaviour every Kafka broker must give the bus; subclasses supply the broker (embedded, or
 * Testcontainers when Docker is available).
 */
abstract class KafkaEventBusContract {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private Topics topics;
  private KafkaEventBus bus;
  private final List<DeadLetter> letters = new CopyOnWriteArrayList<>();

  /** {@code host:port} of the broker under test. */
  abstract String bootstrapServers();

  @BeforeEach
  void freshTopics() {
    topics = new Topics("t" + UUID.randomUUID().toString().substring(0, 8) + ".");
    KafkaTopicsAdmin.singleBroker().ensureTopics(bootstrapServers(), topics);
    bus = KafkaEventBus.connect(bootstrapServers(), topics, KafkaBusSettings.defaults(), letters::add);
  }

  @AfterEach
  void closeBus() {
    bus.close();
  }

  private static String group() {
    return "g-" + UUID.randomUUID();
  }

  /** Steps of the first {@code count} step records a new subscription gets, each acknowledged. */
  private List<Long> acknowledgedSteps(ConsumerOptions options, int count) {
    return bus.consume(topics.steps(), options)
        .doOnNext(Received::acknowledge)
        .map(r -> r.event().step())
        .take(count)
        .collectList()
        .block(WAIT);
  }

  private <E extends Event> List<E> roundTrip(Channel<E> channel, List<E> events) {
    StepVerifier.create(bus.publish(channel, Flux.fromIterable(events)).map(Delivery::event))
        .expectNextSequence(events)
        .expectComplete()
        .verify(WAIT);
    return bus.consume(channel, ConsumerOptions.earliest(group()))
        .doOnNext(Received::acknowledge)
        .map(Received::event)
        .take(events.size())
        .collectList()
        .block(WAIT);
  }

  @Test
  void everyEventTypeSurvivesTheRoundTripNaNIncluded() {
    assertEquals(List.of(SampleEvents.step("r", 3)), roundTrip(topics.steps(), List.of(SampleEvents.step("r", 3))));
    var gradient = SampleEvents.hyperGradientWithNaN("r");
    var back = roundTrip(topics.hyperGradients(), List.of(gradient)).get(0);
    assertEquals(gradient, back);
    assertTrue(Double.isNaN(back.gradient().b1()) && Double.isNaN(back.validationLoss()));
    assertEquals(Double.POSITIVE_INFINITY, back.gradient().b2());
    assertEquals(List.of(SampleEvents.metaParams("r")), roundTrip(topics.metaParams(), List.of(SampleEvents.metaParams("r"))));
    assertEquals(List.of(SampleEvents.forecast("r")), roundTrip(topics.forecasts(), List.of(SampleEvents.forecast("r"))));
    assertEquals(List.of(SampleEvents.evaluation("r")), roundTrip(topics.evaluations(), List.of(SampleEvents.evaluation("r"))));
    List<RunEvent> runs = List.of(SampleEvents.runStarted("r"), SampleEvents.runFinished("r"), SampleEvents.runFailed("r"));
    assertEquals(runs, roundTrip(topics.runs(), runs));
  }

  @Test
  void malformedRecordsGoToDeadLetterTopicWithReasonAndConsumptionGoesOn() throws Exception {
    String good = EventCodec.encodeToString(SampleEvents.step("r", 0));
    Map<String, String> bad = new java.util.LinkedHashMap<>();
    bad.put("bad-json", "{not json");
    bad.put("future-version", good.replace("\"schemaVersion\":" + Event.CURRENT_SCHEMA_VERSION,
        "\"schemaVersion\":99"));
    bad.put("missing-field", good.replace("\"trainLoss\":1.25,", ""));
    bad.put("wrong-type", good.replace("\"step\":0", "\"step\":\"zero\""));
    try (KafkaProducer<String, byte[]> raw =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()),
            new StringSerializer(), new ByteArraySerializer())) {
      // All on key "r": one partition, so order is defined: good, 4 bad, good.
      raw.send(new ProducerRecord<>(topics.steps().topic(), "r", good.getBytes(StandardCharsets.UTF_8))).get();
      for (String value : bad.values()) {
        raw.send(new ProducerRecord<>(topics.steps().topic(), "r", value.getBytes(StandardCharsets.UTF_8))).get();
      }
      raw.send(new ProducerRecord<>(topics.steps().topic(), "r",
          EventCodec.encode(SampleEvents.step("r", 1)))).get();
    }
    List<Long> steps = acknowledgedSteps(ConsumerOptions.earliest(group()), 2);
    assertEquals(List.of(0L, 1L), steps);

    List<DeadLetter> written = readDeadLetters(4);
    // Counted once the broker acknowledged each letter, which may come just after it is read.
    reactor.core.publisher.Mono.fromCallable(bus::deadLetterCount)
        .filter(count -> count == 4)
        .repeatWhenEmpty(100, f -> f.delayElements(Duration.ofMillis(50)))
        .block(WAIT);
    assertEquals(4, bus.deadLetterCount());
    assertEquals(List.copyOf(bad.values()),
        written.stream().map(l -> new String(l.payload(), StandardCharsets.UTF_8)).toList());
    assertTrue(written.get(0).reason().startsWith("not JSON"), written.get(0).reason());
    assertTrue(written.get(1).reason().contains("schemaVersion 99"), written.get(1).reason());
    assertTrue(written.get(2).reason().contains("trainLoss"), written.get(2).reason());
    assertTrue(written.get(3).reason().contains("zero"), written.get(3).reason());
    for (DeadLetter letter : written) {
      assertEquals(topics.steps().topic(), letter.topic());
      assertEquals("r", letter.key());
    }
    assertEquals(List.of(1L, 2L, 3L, 4L), written.stream().map(DeadLetter::offset).toList());
    assertEquals(4, letters.size());
  }

  private List<DeadLetter> readDeadLetters(int count) {
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
            new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.deadLetter()));
      List<DeadLetter> result = new ArrayList<>();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (result.size() < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          result.add(DeadLetter.fromJson(r.value()));
        }
      }
      result.sort(java.util.Comparator.comparingLong(DeadLetter::offset));
      return result;
    }
  }

  @Test
  void tenThousandStepsOfThreeInterleavedRunsArriveOncePerRunInOrder() {
    int total = 10_000;
    List<String> runs = List.of("run-a", "run-b", "run-c");
    List<TrainingStep> sent =
        LongStream.range(0, total).mapToObj(i -> SampleEvents.step(runs.get((int) (i % 3)), i)).toList();
    StepVerifier.create(bus.publish(topics.steps(), Flux.fromIterable(sent)).map(Delivery::event))
        .expectNextSequence(sent)
        .expectComplete()
        .verify(WAIT);

    List<TrainingStep> received =
        bus.consume(topics.steps(), ConsumerOptions.earliest(group()).withBuffer(256))
            .doOnNext(Received::acknowledge)
            .map(Received::event)
            .take(total)
            .collectList()
            .block(WAIT);
    Map<String, List<Long>> expected = byRun(sent);
    assertEquals(expected, byRun(received));
  }

  private static Map<String, List<Long>> byRun(List<TrainingStep> steps) {
    return steps.stream().collect(Collectors.groupingBy(TrainingStep::runId,
        Collectors.mapping(TrainingStep::step, Collectors.toList())));
  }

  @Test
  void runFilterEmitsOnlyThatRun() {
    List<TrainingStep> sent =
        LongStream.range(0, 30).mapToObj(i -> SampleEvents.step(i % 2 == 0 ? "even" : "odd", i)).toList();
    bus.publish(topics.steps(), Flux.fromIterable(sent)).blockLast(WAIT);
    List<Long> odd = acknowledgedSteps(ConsumerOptions.earliest(group()).forRun("odd"), 15);
    assertEquals(LongStream.range(0, 30).filter(i -> i % 2 == 1).boxed().toList(), odd);
  }

  @Test
  void runFilteredConsumerResumesAfterItsLastAcknowledgedRecord() {
    // Such a consumer reads its run's partition without joining the group; it still commits.
    List<TrainingStep> sent = LongStream.range(0, 40)
        .mapToObj(i -> SampleEvents.step(i % 4 == 0 ? "mine" : "other-" + i % 4, i)).toList();
    bus.publish(topics.steps(), Flux.fromIterable(sent)).blockLast(WAIT);
    ConsumerOptions options = ConsumerOptions.earliest(group()).forRun("mine");
    List<Long> first = acknowledgedSteps(options, 4);
    assertEquals(List.of(0L, 4L, 8L, 12L), first);
    List<Long> rest = acknowledgedSteps(options, 6);
    assertEquals(List.of(16L, 20L, 24L, 28L, 32L, 36L), rest);
  }

  @Test
  void restartedConsumerResumesAfterLastAcknowledgedWithoutLoss() {
    int total = 1_000;
    int firstPart = 300;
    bus.publish(topics.steps(), Flux.range(0, total).map(i -> SampleEvents.step("r", i))).blockLast(WAIT);
    String group = group();
    // a small buffer so that records beyond the acknowledged ones were fetched but not processed
    ConsumerOptions options = ConsumerOptions.earliest(group).withBuffer(16);
    List<Long> first = acknowledgedSteps(options, firstPart);
    assertEquals(LongStream.range(0, firstPart).boxed().toList(), first);

    List<Long> rest = acknowledgedSteps(options, total - firstPart);
    assertEquals(LongStream.range(firstPart, total).boxed().toList(), rest);
  }

  @Test
  void wholeHistoryReaderReadsEveryPartitionFromTheStartEachTimeAndLeavesNoGroup()
      throws Exception {
    // runs spread over the partitions (the key is the run id)
    List<TrainingStep> sent = LongStream.range(0, 60)
        .mapToObj(i -> SampleEvents.step("run-" + i % 6, i)).toList();
    bus.publish(topics.steps(), Flux.fromIterable(sent)).blockLast(WAIT);
    String name = group();
    ConsumerOptions options = ConsumerOptions.wholeHistory(name);
    for (int subscription = 0; subscription < 2; subscription++) {
      List<TrainingStep> read = bus.consume(topics.steps(), options)
          .doOnNext(Received::acknowledge)
          .map(Received::event)
          .take(sent.size())
          .collectList()
          .block(WAIT);
      assertEquals(byRun(sent), byRun(read), "subscription " + (subscription + 1));
    }
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(
            Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      Set<String> groups = admin.listConsumerGroups().all().get(60, TimeUnit.SECONDS).stream()
          .map(listing -> listing.groupId())
          .collect(Collectors.toSet());
      assertTrue(!groups.contains(name), "no group " + name + " among " + groups);
    }
  }

  @Test
  void aReplayOrAReaderOfHistoryFromATimeStartsEveryPartitionAtItsFirstRecordSince() {
    List<TrainingStep> before = LongStream.range(0, 30)
        .mapToObj(i -> SampleEvents.step("run-" + i % 6, i)).toList();
    bus.publish(topics.steps(), Flux.fromIterable(before)).blockLast(WAIT);
    Instant since = WallClock.nextMillisecond();
    List<TrainingStep> after = LongStream.range(30, 42)
        .mapToObj(i -> SampleEvents.step("run-" + i % 6, i)).toList();
    bus.publish(topics.steps(), Flux.fromIterable(after)).blockLast(WAIT);

    assertEquals(byRun(after),
        byRun(bus.replay(topics.steps(), since).collectList().block(WAIT)));
    // then a record written after the reader started
    StepVerifier.create(bus.consume(topics.steps(),
                ConsumerOptions.wholeHistory(group()).since(since))
            .doOnNext(Received::acknowledge)
            .map(r -> r.event().step())
            .take(after.size() + 1))
        .recordWith(ArrayList::new)
        .expectNextCount(after.size())
        .consumeRecordedWith(read -> assertEquals(
            LongStream.range(30, 42).boxed().collect(Collectors.toSet()), Set.copyOf(read)))
        .then(() -> bus.publish(topics.steps(), Flux.just(SampleEvents.step("run-0", 42)))
            .blockLast(WAIT))
        .expectNext(42L)
        .expectComplete()
        .verify(WAIT);
    assertEquals(List.of(), bus.replay(topics.steps(), WallClock.nextMillisecond())
        .collectList().block(WAIT));
  }

  @Test
  void wholeHistoryReaderOfOneRunSeesOnlyThatRunAgainOnEverySubscription() {
    List<TrainingStep> sent = LongStream.range(0, 20)
        .mapToObj(i -> SampleEvents.step(i % 2 == 0 ? "mine" : "other", i)).toList();
    bus.publish(topics.steps(), Flux.fromIterable(sent)).blockLast(WAIT);
    ConsumerOptions options = ConsumerOptions.wholeHistory(group()).forRun("mine");
    for (int subscription = 0; subscription < 2; subscription++) {
      List<Long> read = acknowledgedSteps(options, 10);
      assertEquals(LongStream.range(0, 20).filter(i -> i % 2 == 0).boxed().toList(), read);
    }
  }

  @Test
  void batchedReaderGetsEveryRecordPublishedAfterItSubscribed() {
    ConsumerOptions options = ConsumerOptions.wholeHistory(group())
        .batchedUpTo(Duration.ofMillis(200));
    List<TrainingStep> sent = LongStream.range(0, 50)
        .mapToObj(i -> SampleEvents.step("r", i)).toList();
    StepVerifier.create(bus.consume(topics.steps(), options).map(r -> r.event().step()).take(50))
        .then(() -> Flux.fromIterable(sent)
            .concatMap(step -> bus.publish(topics.steps(), Flux.just(step)))
            .subscribe())
        .expectNextSequence(LongStream.range(0, 50).boxed().toList())
        .expectComplete()
        .verify(WAIT);
  }

  @Test
  void commitStopsAtTheFirstUnacknowledgedRecord() {
    bus.publish(topics.steps(), Flux.range(0, 10).map(i -> SampleEvents.step("r", i))).blockLast(WAIT);
    String group = group();
    bus.consume(topics.steps(), ConsumerOptions.earliest(group))
        .doOnNext(r -> {
          if (r.event().step() != 2) {
            r.acknowledge(); // 3..9 acknowledged, but 2 is not: nothing past 2 may be committed
          }
        })
        .take(10)
        .blockLast(WAIT);
    List<Long> again = acknowledgedSteps(ConsumerOptions.earliest(group), 8);
    assertEquals(LongStream.range(2, 10).boxed().toList(), again);
  }

  @Test
  void topicsKeepEventsForeverDeadLettersAWeekAndCreatingThemAgainIsFine() throws Exception {
    assertEquals(Set.of(), KafkaTopicsAdmin.singleBroker().ensureTopics(bootstrapServers(), topics));
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(
            Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      var steps = new org.apache.kafka.common.config.ConfigResource(
          org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topics.steps().topic());
      var dead = new org.apache.kafka.common.config.ConfigResource(
          org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topics.deadLetter());
      var configs = admin.describeConfigs(List.of(steps, dead)).all().get(60, TimeUnit.SECONDS);
      assertEquals("-1", configs.get(steps).get("retention.ms").value());
      assertEquals("604800000", configs.get(dead).get("retention.ms").value());
      var description = admin.describeTopics(List.of(topics.steps().topic())).allTopicNames()
          .get(60, TimeUnit.SECONDS).get(topics.steps().topic());
      assertEquals(KafkaTopicsAdmin.DEFAULT_PARTITIONS, description.partitions().size());
    }
  }

  @Test
  void publishRejectsEventOfAnotherType() {
    @SuppressWarnings({"unchecked", "rawtypes"})
    Channel<Event> wrong = (Channel) topics.evaluations();
    StepVerifier.create(bus.publish(wrong, Flux.just(SampleEvents.step("r", 0))))
        .expectErrorMatches(e -> e instanceof IllegalArgumentException
            && e.getMessage().contains(topics.evaluations().topic()))
        .verify(WAIT);
  }

  @Test
  void closingTheBusCompletesItsConsumers() {
    StepVerifier.create(bus.consume(topics.steps(), ConsumerOptions.latest(group())))
        .expectSubscription()
        .then(bus::close)
        .expectComplete()
        .verify(WAIT);
  }
}
