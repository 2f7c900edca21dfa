package io.distilflux.pipeline.meta;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Delivery;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * A test transport: one append-only log per topic, replayed to each consumer from its group's
 * committed offset and then followed live. Every consumer sees every record (no partition
 * split between group members).
 */
final class LogEventBus implements EventBus {

  private record Entry(long offset, Event event) {}

  private static final class Topic {
    final List<Event> log = new ArrayList<>();
    final Sinks.Many<Entry> sink = Sinks.many().replay().all();
  }

  private final Map<String, Topic> topics = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> committed = new ConcurrentHashMap<>();

  private Topic topic(String name) {
    return topics.computeIfAbsent(name, n -> new Topic());
  }

  @Override
  public <E extends Event> Flux<Delivery<E>> publish(Channel<E> channel, Flux<? extends E> events) {
    Topic topic = topic(channel.topic());
    return events.map(
        event -> {
          synchronized (topic) {
            long offset = topic.log.size();
            topic.log.add(event);
            topic.sink.emitNext(new Entry(offset, event), Sinks.EmitFailureHandler.FAIL_FAST);
            return new Delivery<>(event, 0, offset);
          }
        });
  }

  @Override
  public <E extends Event> Flux<Received<E>> consume(Channel<E> channel, ConsumerOptions options) {
    return Flux.defer(
        () -> {
          Topic topic = topic(channel.topic());
          AtomicLong groupOffset =
              committed.computeIfAbsent(
                  options.groupId() + "/" + channel.topic(), k -> new AtomicLong(-1));
          long start;
          synchronized (topic) {
            start = groupOffset.get() >= 0
                ? groupOffset.get()
                : options.fromEarliest() ? 0 : topic.log.size();
          }
          return topic.sink.asFlux()
              .filter(entry -> entry.offset() >= start)
              .filter(entry -> options.runId().map(entry.event().runId()::equals).orElse(true))
              .map(
                  entry ->
                      new Received<>(
                          channel.type().cast(entry.event()),
                          0,
                          entry.offset(),
                          () -> groupOffset.accumulateAndGet(entry.offset() + 1, Math::max)));
        });
  }

  /** Every event written to a topic so far, in order. */
  List<Event> log(String topicName) {
    Topic topic = topic(topicName);
    synchronized (topic) {
      return List.copyOf(topic.log);
    }
  }

  @Override
  public void close() {}
}
