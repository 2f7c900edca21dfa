package io.distilflux.pipeline.record;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.MalformedEventException;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.kafka.KafkaConnection;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads recorded runs back from Kafka: one run's events from every event topic, or the list of
 * runs from the runs topic.
 *
 * <p>Each read takes the end offsets of the partitions it reads when it starts and stops there,
 * so it never waits for records that are still being written. A run's events are keyed by its
 * id, so only the partition the producer's default partitioner maps the id to is read (murmur2
 * of the key modulo the topic's partitions: topics must not have been given more partitions
 * since the run was recorded). No consumer group is used and nothing is committed.
 *
 * <p>A record that cannot be decoded is skipped, counted ({@link #skippedRecords()}) and
 * logged once per reason; the read goes on. Not thread-safe: one read at a time.
 */
public final class KafkaRunReader implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaRunReader.class);
  private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofMillis(200);
  /** A read that receives nothing this long while records remain has lost the broker. */
  private static final Duration STALL = Duration.ofSeconds(30);

  private final KafkaConnection connection;
  private final Topics topics;
  private final KafkaConsumer<String, byte[]> consumer;
  private final LongAdder skipped = new LongAdder();
  private final Set<String> loggedReasons = ConcurrentHashMap.newKeySet();

  private KafkaRunReader(KafkaConnection connection, Topics topics) {
    this.connection = connection;
    this.topics = topics;
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "distilflux-run-reader-" + UUID.randomUUID());
    this.consumer = new KafkaConsumer<>(
        connection.clientConfig(config), new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** A reader of the deployment's topics on a cluster. */
  public static KafkaRunReader connect(String bootstrapServers, Topics topics) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrap servers must not be blank");
    }
    return connect(KafkaConnection.plain(bootstrapServers), topics);
  }

  /** A reader of the deployment's topics on a cluster, with the connection's client properties. */
  public static KafkaRunReader connect(KafkaConnection connection, Topics topics) {
    return new KafkaRunReader(java.util.Objects.requireNonNull(connection),
        java.util.Objects.requireNonNull(topics));
  }

  /** Records skipped so far because they could not be decoded. */
  public long skippedRecords() {
    return skipped.sum();
  }

  /**
   * Every recorded event of the run, in recorded order (see {@link RecordedRun}).
   *
   * @throws IllegalArgumentException with a one-line reason when the cluster holds no event
   *     of the run
   */
  public RecordedRun read(String runId) {
    if (runId == null || runId.isBlank()) {
      throw new IllegalArgumentException("run id must not be blank");
    }
    Map<String, List<PartitionInfo>> existing = consumer.listTopics(METADATA_TIMEOUT);
    byte[] key = runId.getBytes(StandardCharsets.UTF_8);
    Map<TopicPartition, Channel<? extends Event>> partitions = new LinkedHashMap<>();
    for (Channel<? extends Event> channel : topics.all()) {
      List<PartitionInfo> infos = existing.get(channel.topic());
      if (infos != null && !infos.isEmpty()) {
        int partition = Utils.toPositive(Utils.murmur2(key)) % infos.size();
        partitions.put(new TopicPartition(channel.topic(), partition), channel);
      }
    }
    Map<TopicPartition, List<Event>> byPartition = new HashMap<>();
    readToEnd(partitions, (channel, record) -> {
      if (runId.equals(record.key())) {
        Event event = decode(channel, record);
        if (event != null && runId.equals(event.runId())) {
          byPartition.computeIfAbsent(
              new TopicPartition(record.topic(), record.partition()), p -> new ArrayList<>())
              .add(event);
        }
      }
    });
    List<List<Event>> perTopic = new ArrayList<>();
    partitions.keySet().forEach(p -> perTopic.add(byPartition.getOrDefault(p, List.of())));
    List<Event> events = RecordedOrder.merge(perTopic);
    if (events.isEmpty()) {
      throw new IllegalArgumentException("unknown run " + runId + ": no events of it on "
          + connection.bootstrapServers() + " under topic prefix '" + topics.prefix() + "'");
    }
    return new RecordedRun(runId, events);
  }

  /** Every run the runs topic knows, oldest start first (runs never started last). */
  public List<RecordedRunSummary> runs() {
    List<PartitionInfo> infos =
        consumer.listTopics(METADATA_TIMEOUT).getOrDefault(topics.runs().topic(), List.of());
    Map<TopicPartition, Channel<? extends Event>> partitions = new LinkedHashMap<>();
    for (PartitionInfo info : infos) {
      partitions.put(new TopicPartition(info.topic(), info.partition()), topics.runs());
    }
    Map<String, RunStarted> started = new LinkedHashMap<>();
    Map<String, RunFinished> finished = new LinkedHashMap<>();
    readToEnd(partitions, (channel, record) -> {
      Event event = decode(channel, record);
      if (event instanceof RunStarted s) {
        started.putIfAbsent(s.runId(), s);
      } else if (event instanceof RunFinished f) {
        finished.putIfAbsent(f.runId(), f);
      }
    });
    List<String> ids = new ArrayList<>(started.keySet());
    finished.keySet().stream().filter(id -> !started.containsKey(id)).forEach(ids::add);
    return ids.stream()
        .map(id -> new RecordedRunSummary(id, Optional.ofNullable(started.get(id)),
            Optional.ofNullable(finished.get(id))))
        .sorted(Comparator.comparing((RecordedRunSummary s) -> s.started()
                .map(RunStarted::startedAtMillis).orElse(Long.MAX_VALUE))
            .thenComparing(RecordedRunSummary::runId))
        .toList();
  }

  /** Reads the partitions from their beginning to the end offsets of now, in offset order. */
  private void readToEnd(Map<TopicPartition, Channel<? extends Event>> partitions,
      RecordSink sink) {
    if (partitions.isEmpty()) {
      return;
    }
    consumer.assign(partitions.keySet());
    consumer.seekToBeginning(partitions.keySet());
    Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(partitions.keySet()));
    ends.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
    consumer.pause(consumer.assignment().stream().filter(p -> !ends.containsKey(p)).toList());
    long lastProgress = System.nanoTime();
    while (!ends.isEmpty()) {
      var records = consumer.poll(POLL);
      if (!records.isEmpty()) {
        lastProgress = System.nanoTime();
      } else if (System.nanoTime() - lastProgress > STALL.toNanos()) {
        throw new IllegalStateException("reading " + ends.keySet() + " from " + connection.bootstrapServers()
            + " made no progress for " + STALL.toSeconds() + " s");
      }
      for (ConsumerRecord<String, byte[]> record : records) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        Long end = ends.get(partition);
        if (end != null && record.offset() < end) {
          sink.accept(partitions.get(partition), record);
        }
      }
      for (TopicPartition partition : List.copyOf(ends.keySet())) {
        if (consumer.position(partition) >= ends.get(partition)) {
          ends.remove(partition);
          consumer.pause(List.of(partition)); // what was written after the start is not ours
        }
      }
    }
    consumer.unsubscribe();
  }

  private Event decode(Channel<? extends Event> channel, ConsumerRecord<String, byte[]> record) {
    try {
      return EventCodec.decode(record.value(), channel.type());
    } catch (MalformedEventException e) {
      skipped.increment();
      if (loggedReasons.size() < 256 && loggedReasons.add(e.getMessage())) {
        LOG.warn("skipped record {}-{}@{}: {}", record.topic(), record.partition(),
            record.offset(), e.getMessage());
      }
      return null;
    }
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }

  @FunctionalInterface
  private interface RecordSink {
    void accept(Channel<? extends Event> channel, ConsumerRecord<String, byte[]> record);
  }
}
