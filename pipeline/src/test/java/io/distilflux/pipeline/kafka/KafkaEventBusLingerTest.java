package io.distilflux.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.Delivery;
import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaParams;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.LongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;

/**
 * Awaited channels are sent at once, a request per event when events come one at a time;
 * background channels linger and share requests; round channels wait for the round's end. Counted by the embedded broker's request
 * meters, which see every request of this process's clients.
 */
class KafkaEventBusLingerTest {

  @RegisterExtension static final KafkaBroker KAFKA = KafkaBroker.of(TestKafka.Mode.EMBEDDED);

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int EVENTS = 40;
  private static final Duration SPACING = Duration.ofMillis(5);

  private Topics topics;
  private KafkaEventBus bus;

  @BeforeEach
  void freshTopics() {
    topics = new Topics("l" + UUID.randomUUID().toString().substring(0, 8) + ".");
    KafkaTopicsAdmin.singleBroker().ensureTopics(KAFKA.bootstrapServers(), topics);
    // A background linger longer than the whole burst: it fits in one or two requests.
    bus = KafkaEventBus.connect(KAFKA.bootstrapServers(), topics,
        KafkaBusSettings.defaults().withBackgroundLinger(Duration.ofSeconds(1)), letter -> {});
  }

  @AfterEach
  void closeBus() {
    bus.close();
  }

  @Test
  void backgroundEventsShareRequestsWhileAwaitedOnesGoOneByOne() {
    assertEquals(Channel.Urgency.BACKGROUND, topics.steps().urgency());
    assertEquals(Channel.Urgency.AWAITED, topics.forecasts().urgency());
    // Connections, metadata and producer ids first, so the bursts count only their sends.
    burst(topics.steps(), step -> SampleEvents.step("warm", step), 1);
    burst(topics.forecasts(), step -> SampleEvents.forecast("warm"), 1);

    long background = burst(topics.steps(), step -> SampleEvents.step("run", step), EVENTS);
    long awaited = burst(topics.forecasts(), step -> SampleEvents.forecast("run"), EVENTS);

    // A broker heartbeat or two may fall in a burst's window.
    assertTrue(background <= 6, "background burst cost " + background + " requests");
    assertTrue(awaited >= EVENTS / 2, "awaited burst cost only " + awaited + " requests");
  }

  /** A trainer's steps come by the thousand a second: a request carries about a thousand. */
  @Test
  void aBurstOfStepsLargerThanAnAwaitedBatchStillGoesInFewRequests() {
    burst(topics.steps(), step -> SampleEvents.step("warm", step), 1);
    long before = EmbeddedKafka.requestsHandled();
    int steps = 2_000;
    long bytes = 0;
    for (int i = 0; i < steps; i++) {
      bytes += EventCodec.encode(SampleEvents.step("run", i)).length;
    }
    assertTrue(bytes > 8L * KafkaBusSettings.defaults().batchBytes(),
        "the burst is " + bytes + " bytes, more than eight awaited batches");
    bus.publish(topics.steps(), Flux.range(0, steps).map(i -> SampleEvents.step("run", i)))
        .blockLast(WAIT);
    long requests = EmbeddedKafka.requestsHandled() - before;
    assertTrue(requests <= 5, steps + " steps cost " + requests + " requests");
  }

  @Test
  void aRoundChannelHoldsItsEventsUntilTheRoundEnds() {
    assertEquals(Channel.Urgency.ROUND, topics.hyperGradients().urgency());
    assertEquals(Channel.Urgency.ROUND, topics.metaParams().urgency());
    try (KafkaEventBus holding = KafkaEventBus.connect(KAFKA.bootstrapServers(), topics,
        KafkaBusSettings.defaults().withRoundLinger(Duration.ofMinutes(5)), letter -> {})) {
      var delivered = holding.publish(topics.metaParams(),
              Flux.range(0, 3).map(i -> SampleEvents.metaParams("run" + i)))
          .collectList()
          .toFuture();
      // Not a timing check: with the linger at five minutes only endRound can send them.
      assertThrows(java.util.concurrent.TimeoutException.class,
          () -> delivered.get(500, java.util.concurrent.TimeUnit.MILLISECONDS));
      holding.endRound(topics.hyperGradients()); // another channel's round: still held
      assertThrows(java.util.concurrent.TimeoutException.class,
          () -> delivered.get(500, java.util.concurrent.TimeUnit.MILLISECONDS));
      holding.endRound(topics.metaParams());
      List<Delivery<MetaParams>> deliveries = delivered.join();
      assertEquals(3, deliveries.size());
    }
  }

  /** Publishes {@code count} events a few ms apart; the requests the broker handled meanwhile. */
  private <E extends Event> long burst(Channel<E> channel, LongFunction<E> event, int count) {
    long before = EmbeddedKafka.requestsHandled();
    Flux<E> events = Flux.range(0, count).delayElements(SPACING).map(i -> event.apply(i));
    bus.publish(channel, events).blockLast(WAIT);
    return EmbeddedKafka.requestsHandled() - before;
  }
}
