package io.distilflux.pipeline;

import io.distilflux.pipeline.event.Event;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Sends a mixed stream of events, each to its own topic, keeping the stream's order per run
 * (sends are issued in order and the idempotent producer keeps them in order per partition).
 */
public final class EventRouter {

  /** How many sends may await their acknowledgement at once. */
  public static final int MAX_IN_FLIGHT = 256;

  private final EventBus bus;
  private final Topics topics;

  /** Routes events to the topics of {@code topics} on {@code bus}. */
  public EventRouter(EventBus bus, Topics topics) {
    this.bus = bus;
    this.topics = topics;
  }

  /** Publishes every event; emits the deliveries in the order of the events. */
  public Flux<Delivery<? extends Event>> publish(Flux<? extends Event> events) {
    return events.flatMapSequential(this::publishOne, MAX_IN_FLIGHT, 1);
  }

  private <E extends Event> Mono<Delivery<? extends Event>> publishOne(E event) {
    return bus.publish(topics.channelOf(event), Flux.just(event)).next()
        .map(delivery -> (Delivery<? extends Event>) delivery);
  }
}
