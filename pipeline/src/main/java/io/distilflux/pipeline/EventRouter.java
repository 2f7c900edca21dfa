package io.distilflux.pipeline;

import io.distilflux.pipeline.event.Event;
import reactor.core.publisher.Flux;

/**
 * Sends a mixed stream of events, each to its own topic. Events of one topic are sent by one
 * publish, in stream order, so a run's events stay ordered within every topic.
 */
public final class EventRouter {

  private final EventBus bus;
  private final Topics topics;

  /** Routes events to the topics of {@code topics} on {@code bus}. */
  public EventRouter(EventBus bus, Topics topics) {
    this.bus = bus;
    this.topics = topics;
  }

  /**
   * Publishes every event; emits each delivery as its topic acknowledges it and completes once
   * every event is delivered.
   */
  public Flux<Delivery<? extends Event>> publish(Flux<? extends Event> events) {
    int channels = topics.all().size();
    // One group per topic, all subscribed at once, so no group can starve another.
    return events
        .groupBy(topics::channelOf)
        .flatMap(group -> publishChannel(group.key(), group), channels, 1);
  }

  private <E extends Event> Flux<Delivery<? extends Event>> publishChannel(
      Channel<E> channel, Flux<? extends Event> group) {
    return bus.publish(channel, group.map(channel.type()::cast))
        .map(delivery -> (Delivery<? extends Event>) delivery);
  }
}
