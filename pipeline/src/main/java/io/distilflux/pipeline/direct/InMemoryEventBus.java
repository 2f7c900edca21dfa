package io.distilflux.pipeline.direct;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Delivery;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.MalformedEventException;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.event.Event;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * An {@link EventBus} in process memory for the {@code direct} mode: one append-only log per
 * topic (a single partition, offsets from 0) that keeps its newest records, like a Kafka topic
 * with retention: a consumer starting from the earliest offset sees what is retained (the whole
 * history until a topic outgrows the retention) and one starting from the latest sees only what
 * is published afterwards. A reader that falls behind the retained records skips to the oldest
 * one retained, as a Kafka consumer does after retention deleted its position.
 *
 * <p>Consumer groups behave like Kafka's: each group has a committed position per topic that
 * advances over the contiguous prefix of acknowledged records, and a new subscription of the
 * same group resumes there. One active subscription per group and topic is expected. A
 * reader that does not commit ({@link ConsumerOptions#commits()} false) keeps its position only
 * for its subscription. Records are handed over at once, whatever the
 * {@link ConsumerOptions#batchWait()}.
 *
 * <p>Every event is encoded with {@link EventCodec} on publish and decoded on consumption, so
 * this mode exercises the same serde as Kafka. A subscriber only receives as many records as
 * it requested: nothing is buffered on its behalf, and reading never blocks a publisher.
 */
public final class InMemoryEventBus implements EventBus {

  private final Map<String, TopicLog> logs = new ConcurrentHashMap<>();
  private final Map<String, GroupPosition> positions = new ConcurrentHashMap<>();
  private final AtomicLong deadLetters = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final int retainedPerTopic;

  /** Records a topic keeps unless told otherwise: bounded, so a long run's memory is too. */
  public static final int DEFAULT_RETAINED_PER_TOPIC = 100_000;

  /** Creates an empty bus that keeps the newest {@link #DEFAULT_RETAINED_PER_TOPIC} records of each topic. */
  public InMemoryEventBus() {
    this(DEFAULT_RETAINED_PER_TOPIC);
  }

  /** Creates an empty bus that keeps the newest {@code retainedPerTopic} records of each topic. */
  public InMemoryEventBus(int retainedPerTopic) {
    if (retainedPerTopic < 1) {
      throw new IllegalArgumentException("retained records per topic must be >= 1, got "
          + retainedPerTopic);
    }
    this.retainedPerTopic = retainedPerTopic;
  }

  @Override
  public <E extends Event> Flux<Delivery<E>> publish(Channel<E> channel, Flux<? extends E> events) {
    Objects.requireNonNull(channel, "channel");
    TopicLog log = log(channel.topic());
    // concatMap keeps order and bounds in-flight appends to the demand of the subscriber.
    return events.concatMap(
        event ->
            Mono.fromCallable(
                () -> {
                  ensureOpen();
                  if (!channel.type().isInstance(event)) {
                    throw new IllegalArgumentException(
                        "event " + event.getClass().getSimpleName() + " does not belong on topic "
                            + channel.topic());
                  }
                  long offset = log.append(event.runId(), EventCodec.encode(event));
                  return new Delivery<E>(event, 0, offset);
                }));
  }

  @Override
  public <E extends Event> Flux<Received<E>> consume(Channel<E> channel, ConsumerOptions options) {
    Objects.requireNonNull(options, "options");
    if (options.groupId() == null || options.groupId().isBlank()) {
      throw new IllegalArgumentException("consumer option groupId must not be blank");
    }
    if (options.bufferSize() < 1) {
      throw new IllegalArgumentException(
          "consumer option bufferSize must be >= 1, got " + options.bufferSize());
    }
    TopicLog log = log(channel.topic());
    return Flux.defer(
        () -> {
          ensureOpen();
          long start = !options.fromEarliest() ? log.size()
              : options.commits() ? log.firstOffset()
              : log.firstOffsetSince(options.since());
          // a reader that does not commit starts afresh on every subscription
          GroupPosition group = options.commits()
              ? positions.computeIfAbsent(
                  channel.topic() + '\u0000' + options.groupId(), key -> new GroupPosition(start))
              : new GroupPosition(start);
          return Flux.<Received<E>>create(
              sink -> new Subscription<>(channel, options, log, group, sink).start(),
              FluxSink.OverflowStrategy.ERROR);
        });
  }

  @Override
  public <E extends Event> Flux<E> replay(Channel<E> channel) {
    return replay(channel, Instant.EPOCH);
  }

  @Override
  public <E extends Event> Flux<E> replay(Channel<E> channel, Instant since) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(since, "since");
    TopicLog log = log(channel.topic());
    return Flux.defer(
        () -> {
          ensureOpen();
          long end = log.size();
          long first = log.firstOffsetSince(since);
          return Flux.range(0, (int) (end - first))
              .mapNotNull(
                  i -> {
                    Entry record = log.get(first + i);
                    if (record == null) {
                      return null; // dropped by retention while the replay ran
                    }
                    try {
                      return EventCodec.decode(record.value(), channel.type());
                    } catch (MalformedEventException e) {
                      return null;
                    }
                  });
        });
  }

  /**
   * Number of distinct records that could not be decoded or were rejected by their consumer, and
   * were skipped (none for well-formed use).
   */
  public long deadLetterCount() {
    return deadLetters.get();
  }

  /** Number of records published to a topic so far (retained or not). */
  public long size(String topic) {
    TopicLog log = logs.get(topic);
    return log == null ? 0 : log.size();
  }

  /** The committed position of a group on a topic: the offset it would resume at, or -1. */
  public long committed(String topic, String groupId) {
    GroupPosition position = positions.get(topic + '\u0000' + groupId);
    return position == null ? -1 : position.committed();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      logs.values().forEach(TopicLog::close);
    }
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the in-memory event bus is closed");
    }
  }

  private TopicLog log(String topic) {
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("channel topic must not be blank");
    }
    return logs.computeIfAbsent(topic, t -> new TopicLog(retainedPerTopic));
  }

  /** An encoded record, its key (the run id) and when it was appended, as Kafka keeps them. */
  private record Entry(String key, byte[] value, long appendedAtMillis) {}

  /**
   * An append-only list of encoded records with listeners woken on every append, keeping the
   * newest {@code retained} (dropped a quarter at a time, so that dropping is cheap on average).
   */
  private static final class TopicLog {
    private final List<Entry> records = new ArrayList<>();
    private final CopyOnWriteArraySet<Runnable> listeners = new CopyOnWriteArraySet<>();
    /** Offsets counted as dead letters: each record once, whichever group rejects it. */
    private final java.util.Set<Long> rejected = ConcurrentHashMap.newKeySet();
    private final int retained;
    /** Offset of {@code records.get(0)}. */
    private long first;

    TopicLog(int retained) {
      this.retained = retained;
    }

    long append(String key, byte[] value) {
      long offset;
      synchronized (records) {
        offset = first + records.size();
        records.add(new Entry(key, value, System.currentTimeMillis()));
        if (records.size() > retained) {
          int drop = Math.max(1, Math.min(records.size() - 1, retained / 4 + 1));
          records.subList(0, drop).clear();
          first += drop;
        }
      }
      listeners.forEach(Runnable::run);
      return offset;
    }

    /** The record at an offset, or null when retention has dropped it. */
    Entry get(long offset) {
      synchronized (records) {
        return offset < first ? null : records.get((int) (offset - first));
      }
    }

    /** The oldest offset retained. */
    long firstOffset() {
      synchronized (records) {
        return first;
      }
    }

    /**
     * The first retained offset whose record was appended at or after {@code since}, or the
     * end offset when none was; as Kafka's offsets for a time, the clock is taken as it came.
     */
    long firstOffsetSince(Instant since) {
      long millis = since.toEpochMilli();
      synchronized (records) {
        for (int i = 0; i < records.size(); i++) {
          if (records.get(i).appendedAtMillis() >= millis) {
            return first + i;
          }
        }
        return first + records.size();
      }
    }

    /** The end offset: the offset the next record gets. */
    long size() {
      synchronized (records) {
        return first + records.size();
      }
    }

    void close() {
      listeners.forEach(Runnable::run);
    }
  }

  /** A group's committed offset, advanced over the contiguous prefix of acknowledged offsets. */
  private static final class GroupPosition {
    private long committed;
    private final TreeSet<Long> acknowledgedAhead = new TreeSet<>();

    GroupPosition(long start) {
      this.committed = start;
    }

    synchronized long committed() {
      return committed;
    }

    synchronized void acknowledge(long offset) {
      if (offset < committed) {
        return;
      }
      acknowledgedAhead.add(offset);
      while (!acknowledgedAhead.isEmpty() && acknowledgedAhead.first() == committed) {
        acknowledgedAhead.pollFirst();
        committed++;
      }
    }

    synchronized void forgetUncommitted() {
      acknowledgedAhead.clear();
    }
  }

  /** One subscriber's reading position; emits only what was requested. */
  private final class Subscription<E extends Event> {
    private final Channel<E> channel;
    private final ConsumerOptions options;
    private final TopicLog log;
    private final GroupPosition group;
    private final FluxSink<Received<E>> sink;
    private final AtomicInteger wip = new AtomicInteger();
    private final Runnable wake = this::drain;
    private long position;

    Subscription(
        Channel<E> channel,
        ConsumerOptions options,
        TopicLog log,
        GroupPosition group,
        FluxSink<Received<E>> sink) {
      this.channel = channel;
      this.options = options;
      this.log = log;
      this.group = group;
      this.sink = sink;
    }

    void start() {
      group.forgetUncommitted();
      position = group.committed();
      log.listeners.add(wake);
      sink.onRequest(n -> drain());
      sink.onDispose(() -> log.listeners.remove(wake));
      drain();
    }

    /** Serialised drain loop: whichever thread wins emits, the others leave a mark to re-run. */
    private void drain() {
      if (wip.getAndIncrement() != 0) {
        return;
      }
      int missed = 1;
      do {
        if (closed.get() && !sink.isCancelled()) {
          sink.complete();
          return;
        }
        while (!sink.isCancelled() && sink.requestedFromDownstream() > 0 && position < log.size()) {
          long offset = position++;
          Entry record = log.get(offset);
          if (record == null) {
            // behind the retained records: go on from the oldest one kept
            long oldest = log.firstOffset();
            for (long skipped = offset; skipped < oldest; skipped++) {
              group.acknowledge(skipped);
            }
            position = oldest;
            continue;
          }
          emit(offset, record);
        }
        missed = wip.addAndGet(-missed);
      } while (missed != 0);
    }

    private void emit(long offset, Entry entry) {
      Set<String> runs = options.runIds();
      // Another run's record (the key is the run id) is not even decoded, as on Kafka.
      if (!runs.isEmpty() && entry.key() != null && !runs.contains(entry.key())) {
        group.acknowledge(offset);
        return;
      }
      E event;
      try {
        event = EventCodec.decode(entry.value(), channel.type());
      } catch (MalformedEventException e) {
        reject(offset);
        return;
      }
      if (!options.runIds().isEmpty() && !options.runIds().contains(event.runId())) {
        group.acknowledge(offset);
        return;
      }
      sink.next(new Received<>(event, 0, offset, () -> group.acknowledge(offset),
          reason -> reject(offset)));
    }

    /** Counts a rejected record once, then marks it processed. */
    private void reject(long offset) {
      if (log.rejected.add(offset)) {
        deadLetters.incrementAndGet();
      }
      group.acknowledge(offset);
    }
  }
}
