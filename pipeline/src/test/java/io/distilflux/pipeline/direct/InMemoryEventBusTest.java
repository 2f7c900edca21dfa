package io.distilflux.pipeline.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Delivery;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.WallClock;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.TrainingStep;
import java.time.Instant;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class InMemoryEventBusTest {

  private final Topics topics = new Topics("test.");
  private final Channel<TrainingStep> steps = topics.steps();
  private final InMemoryEventBus bus = new InMemoryEventBus();

  @AfterEach
  void close() {
    bus.close();
  }

  static TrainingStep step(String run, long index) {
    return new TrainingStep(
        Event.CURRENT_SCHEMA_VERSION, run, index, 0, Phase.FIXED, 1.5, 1.0, 0.5,
        new MetaValues(0.5, 0.5, 4.0), 0.01, 1_000L + index);
  }

  private void publish(String run, long from, long to) {
    StepVerifier.create(bus.publish(steps, Flux.fromStream(LongStream.range(from, to).mapToObj(i -> step(run, i)))))
        .expectNextCount(to - from)
        .verifyComplete();
  }

  @Test
  void publishEmitsDeliveriesInOrderWithConsecutiveOffsets() {
    StepVerifier.create(bus.publish(steps, Flux.just(step("a", 0), step("b", 1), step("a", 2))).map(Delivery::offset))
        .expectNext(0L, 1L, 2L)
        .verifyComplete();
  }

  @Test
  void aReplayOrAReaderOfHistoryFromATimeSkipsWhatWasWrittenBefore() {
    publish("a", 0, 3);
    Instant since = WallClock.nextMillisecond();
    publish("b", 3, 5);
    assertEquals(List.of(3L, 4L),
        bus.replay(steps, since).map(TrainingStep::step).collectList().block());
    StepVerifier.create(bus.consume(steps, ConsumerOptions.wholeHistory("r").since(since))
            .map(r -> r.event().step()).take(3))
        .expectNext(3L, 4L)
        .then(() -> publish("c", 5, 6))
        .expectNext(5L)
        .verifyComplete();
    assertEquals(List.of(), bus.replay(steps, WallClock.nextMillisecond()).collectList().block());
  }

  @Test
  void earliestConsumerSeesHistoryDecodedThroughTheCodec() {
    publish("a", 0, 3);
    StepVerifier.create(bus.consume(steps, ConsumerOptions.earliest("g")).map(Received::event).take(3))
        .expectNext(step("a", 0), step("a", 1), step("a", 2))
        .verifyComplete();
  }

  @Test
  void aTopicKeepsItsNewestRecordsAndAReaderBehindSkipsToTheOldestKept() {
    try (InMemoryEventBus small = new InMemoryEventBus(4)) {
      StepVerifier.create(small.publish(steps,
              Flux.fromStream(LongStream.range(0, 10).mapToObj(i -> step("a", i)))))
          .expectNextCount(10)
          .verifyComplete();
      assertEquals(10, small.size(steps.topic()));
      java.util.List<Long> replayed = small.replay(steps).map(TrainingStep::step).collectList()
          .block();
      assertEquals(9L, replayed.get(replayed.size() - 1));
      assertTrue(replayed.size() <= 4 && replayed.size() >= 1, replayed.toString());
      assertEquals(replayed.get(0), small.consume(steps, ConsumerOptions.earliest("g"))
          .map(r -> r.event().step()).blockFirst());
    }
  }

  @Test
  void latestConsumerSeesOnlyNewEvents() {
    publish("a", 0, 3);
    StepVerifier.create(bus.consume(steps, ConsumerOptions.latest("g")).map(r -> r.event().step()).take(2))
        .then(() -> publish("a", 3, 5))
        .expectNext(3L, 4L)
        .verifyComplete();
  }

  @Test
  void runIdFilterEmitsOnlyThatRun() {
    publish("a", 0, 2);
    publish("b", 2, 4);
    publish("a", 4, 5);
    StepVerifier.create(bus.consume(steps, ConsumerOptions.earliest("g").forRun("a")).map(r -> r.event().step()).take(3))
        .expectNext(0L, 1L, 4L)
        .verifyComplete();
  }

  @Test
  void newSubscriptionOfSameGroupResumesAfterLastAcknowledged() {
    publish("a", 0, 10);
    StepVerifier.create(
            bus.consume(steps, ConsumerOptions.earliest("g"))
                .take(4)
                .doOnNext(Received::acknowledge)
                .map(r -> r.event().step()))
        .expectNext(0L, 1L, 2L, 3L)
        .verifyComplete();
    assertEquals(4, bus.committed(steps.topic(), "g"));
    StepVerifier.create(bus.consume(steps, ConsumerOptions.earliest("g")).map(r -> r.event().step()).take(2))
        .expectNext(4L, 5L)
        .verifyComplete();
    // another group is independent
    StepVerifier.create(bus.consume(steps, ConsumerOptions.earliest("other")).map(r -> r.event().step()).take(1))
        .expectNext(0L)
        .verifyComplete();
  }

  @Test
  void wholeHistoryReaderStartsFromTheBeginningOnEverySubscriptionAndKeepsNoPosition() {
    publish("a", 0, 5);
    for (int subscription = 0; subscription < 2; subscription++) {
      StepVerifier.create(
              bus.consume(steps, ConsumerOptions.wholeHistory("reader"))
                  .doOnNext(Received::acknowledge)
                  .map(r -> r.event().step())
                  .take(5))
          .expectNext(0L, 1L, 2L, 3L, 4L)
          .verifyComplete();
    }
    assertEquals(-1, bus.committed(steps.topic(), "reader"));
  }

  @Test
  void batchWaitIsAcceptedAndRecordsStillComeAtOnce() {
    publish("a", 0, 2);
    StepVerifier.create(
            bus.consume(steps, ConsumerOptions.wholeHistory("reader")
                    .batchedUpTo(java.time.Duration.ofHours(1)))
                .map(r -> r.event().step())
                .take(2))
        .expectNext(0L, 1L)
        .verifyComplete();
  }

  @Test
  void unacknowledgedRecordsAreRedeliveredAndCommitStopsAtFirstGap() {
    publish("a", 0, 5);
    List<Received<TrainingStep>> got =
        bus.consume(steps, ConsumerOptions.earliest("g")).take(5).collectList().block();
    got.get(0).acknowledge();
    got.get(1).acknowledge();
    got.get(3).acknowledge(); // 2 missing: commit must stop at 2
    assertEquals(2, bus.committed(steps.topic(), "g"));
    StepVerifier.create(bus.consume(steps, ConsumerOptions.earliest("g")).map(r -> r.event().step()).take(3))
        .expectNext(2L, 3L, 4L)
        .verifyComplete();
  }

  @Test
  void consumerReceivesOnlyWhatItRequested() {
    publish("a", 0, 100);
    StepVerifier.create(bus.consume(steps, ConsumerOptions.earliest("g")).map(r -> r.event().step()), 2)
        .expectNext(0L, 1L)
        .expectNoEvent(java.time.Duration.ofMillis(50))
        .thenRequest(1)
        .expectNext(2L)
        .thenCancel()
        .verify();
  }

  @Test
  void wrongEventTypeForTopicIsRejected() {
    Channel<Event> any = new Channel<>(topics.steps().topic(), Event.class);
    Channel<io.distilflux.pipeline.event.Evaluation> evaluations =
        new Channel<>(steps.topic(), io.distilflux.pipeline.event.Evaluation.class);
    publish("a", 0, 1);
    // a consumer expecting another type counts the record as dead letter and skips it
    StepVerifier.create(bus.consume(evaluations, ConsumerOptions.earliest("g")), 1)
        .expectSubscription()
        .expectNoEvent(java.time.Duration.ofMillis(20))
        .thenCancel()
        .verify();
    assertEquals(1, bus.deadLetterCount());
    StepVerifier.create(bus.consume(any, ConsumerOptions.earliest("g2")).take(1)).expectNextCount(1).verifyComplete();
  }

  @Test
  void closingCompletesConsumers() {
    StepVerifier.create(bus.consume(steps, ConsumerOptions.latest("g")))
        .then(bus::close)
        .verifyComplete();
  }
}
