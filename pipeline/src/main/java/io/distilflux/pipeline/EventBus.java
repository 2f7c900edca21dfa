package io.distilflux.pipeline;

import io.distilflux.pipeline.event.Event;
import java.time.Instant;
import java.util.List;
import reactor.core.publisher.Flux;

/**
 * Publishes and consumes events of the contract. Two transports implement it: Kafka (embedded
 * broker or an external cluster) and an in-memory one for the {@code direct} mode.
 */
public interface EventBus extends AutoCloseable {

  /**
   * Sends events to their channel, keyed by run id. The returned {@code Flux} emits one
   * {@link Delivery} per event once the transport has acknowledged it (for Kafka: written with
   * {@code acks=all}), in order. Nothing is sent until it is subscribed to; demand bounds how
   * many sends are in flight.
   */
  <E extends Event> Flux<Delivery<E>> publish(Channel<E> channel, Flux<? extends E> events);

  /**
   * Sends at once what the transport holds of a {@link Channel.Urgency#ROUND round} channel: a
   * sender calls it when the events it sent together are all handed to {@link #publish}. Other
   * channels' rounds go on being held. Does not block; a transport that holds nothing back does
   * nothing.
   */
  default void endRound(Channel<?> channel) {}

  /**
   * Consumes a channel. Each element must be {@link Received#acknowledge() acknowledged} once it
   * has been processed; offsets are committed only up to acknowledged records, so a restarted
   * consumer in the same group resumes after the last processed record. Malformed records go to
   * the dead-letter topic and are not emitted.
   */
  <E extends Event> Flux<Received<E>> consume(Channel<E> channel, ConsumerOptions options);

  /**
   * As {@link #consume}, the records handed over in the batches they arrive in: each list holds
   * records that came together (on Kafka, those of one poll), so that a consumer can process them
   * all before it sends what they produce, and the sends leave together. Demand counts lists.
   * Transports that hand records over one at a time give lists of one.
   */
  default <E extends Event> Flux<List<Received<E>>> consumeBatches(
      Channel<E> channel, ConsumerOptions options) {
    return consume(channel, options).map(List::of);
  }

  /**
   * Reads a channel from its earliest record up to its end as it stands when subscribed to,
   * then completes: the way a service rebuilds its state from a topic without guessing when it
   * has caught up. No consumer group is used and nothing is committed. Records that cannot be
   * decoded are skipped here (the consuming groups dead-letter them).
   */
  <E extends Event> Flux<E> replay(Channel<E> channel);

  /**
   * As {@link #replay(Channel)}, from each partition's first record written at or after {@code
   * since} instead of its first record: a service rebuilding the state of the runs it still
   * serves (see {@link RunHistory#horizon}). A transport that cannot tell when a record was
   * written reads from the first record.
   */
  default <E extends Event> Flux<E> replay(Channel<E> channel, Instant since) {
    return replay(channel);
  }

  /** Releases the transport's clients; a bus is not usable afterwards. */
  @Override
  void close();
}
