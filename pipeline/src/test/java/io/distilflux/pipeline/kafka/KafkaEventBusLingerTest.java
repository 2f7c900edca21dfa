package io.distilflux.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import java.time.Duration;
import java.util.UUID;
import java.util.function.LongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;

/**
 * Awaited channels are sent at once, a request per event when events come one at a time;
 * background channels linger and share requests. Counted by the embedded broker's request
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
    assertEquals(Channel.Urgency.AWAITED, topics.metaParams().urgency());
    // Connections, metadata and producer ids first, so the bursts count only their sends.
    burst(topics.steps(), step -> SampleEvents.step("warm", step), 1);
    burst(topics.metaParams(), step -> SampleEvents.metaParams("warm"), 1);

    long background = burst(topics.steps(), step -> SampleEvents.step("run", step), EVENTS);
    long awaited = burst(topics.metaParams(), step -> SampleEvents.metaParams("run"), EVENTS);

    // A broker heartbeat or two may fall in a burst's window.
    assertTrue(background <= 6, "background burst cost " + background + " requests");
    assertTrue(awaited >= EVENTS / 2, "awaited burst cost only " + awaited + " requests");
  }

  /** Publishes {@code count} events a few ms apart; the requests the broker handled meanwhile. */
  private <E extends Event> long burst(Channel<E> channel, LongFunction<E> event, int count) {
    long before = EmbeddedKafka.requestsHandled();
    Flux<E> events = Flux.range(0, count).delayElements(SPACING).map(i -> event.apply(i));
    bus.publish(channel, events).blockLast(WAIT);
    return EmbeddedKafka.requestsHandled() - before;
  }
}
