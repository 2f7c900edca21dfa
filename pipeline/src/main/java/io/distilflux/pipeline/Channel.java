package io.distilflux.pipeline;

import io.distilflux.pipeline.event.Event;
import java.util.Objects;

/**
 * A topic, the type of event it carries, and whether anyone waits on its events.
 *
 * @param topic the topic name
 * @param type the event type (a supertype where a topic carries several)
 * @param urgency whether a consumer waits on each event, so that a transport must send it at
 *     once, or the events may be held back briefly to go out in fewer, larger requests
 * @param <E> the event type
 */
public record Channel<E extends Event>(String topic, Class<E> type, Urgency urgency) {

  /** Whether anyone waits on a channel's events. */
  public enum Urgency {
    /** A consumer waits on each event (a trainer on its update): sent at once. */
    AWAITED,
    /**
     * Awaited, and sent by many senders at about the same time (the hypergradients of runs
     * stepping together, the meta-optimizer's updates of one poll): a transport may hold each
     * event until its sender ends the round ({@link EventBus#endRound}), never longer than a
     * short bound, so that one request carries the whole round.
     */
    ROUND,
    /**
     * Nobody waits on an event (metrics, recordings): a transport may hold it back for a short,
     * bounded time to send several in one request.
     */
    BACKGROUND
  }

  /** Validates the channel. */
  public Channel {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(urgency, "urgency");
  }

  /** A channel whose events are {@link Urgency#AWAITED awaited}. */
  public Channel(String topic, Class<E> type) {
    this(topic, type, Urgency.AWAITED);
  }
}
