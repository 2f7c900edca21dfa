package io.distilflux.monitor.lag;

import io.distilflux.pipeline.kafka.KafkaConnection;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Consumer lag of the deployment's consumer groups, measured from the broker: per group and
 * topic, the records written but not yet committed, Σ over the topic's partitions of
 * (end offset − committed offset), a partition without a commit counting from its first
 * offset. Served as the gauge {@value #METER} (tags {@code group}, {@code topic}), refreshed
 * every period on a thread of its own (the admin calls block). Only topics with the
 * deployment's prefix that a group has committed on are measured; a group that has committed
 * nothing has no gauge yet.
 */
public final class ConsumerLag implements AutoCloseable {

  /** The gauge's name. */
  public static final String METER = "distilflux.kafka.consumer.lag";
  /** Default refresh period. */
  public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(ConsumerLag.class);
  private static final long CALL_TIMEOUT_SECONDS = 10;

  private final Admin admin;
  private final String topicPrefix;
  private final List<String> groups;
  private final MeterRegistry registry;
  private final Map<List<String>, AtomicLong> lags = new ConcurrentHashMap<>();
  private final Set<String> loggedProblems = ConcurrentHashMap.newKeySet();
  private final Scheduler scheduler = Schedulers.newSingle("distilflux-consumer-lag", true);
  private Disposable polling;

  /**
   * A meter of the given groups; nothing is measured before {@link #start(Duration)} or
   * {@link #measure()}.
   *
   * @param bootstrapServers the Kafka cluster
   * @param topicPrefix prefix of the deployment's topics
   * @param groups consumer groups to measure
   * @param registry where the gauges are registered
   */
  public ConsumerLag(
      String bootstrapServers, String topicPrefix, List<String> groups, MeterRegistry registry) {
    this(KafkaConnection.plain(bootstrapServers), topicPrefix, groups, registry);
  }

  /** As the other constructor, with the client properties of {@code connection}. */
  public ConsumerLag(
      KafkaConnection connection, String topicPrefix, List<String> groups,
      MeterRegistry registry) {
    Objects.requireNonNull(connection, "connection");
    this.topicPrefix = Objects.requireNonNull(topicPrefix, "topicPrefix");
    this.groups = List.copyOf(groups);
    this.registry = Objects.requireNonNull(registry, "registry");
    this.admin = Admin.create(connection.clientConfig(
        Map.of(AdminClientConfig.CLIENT_ID_CONFIG, "distilflux-consumer-lag")));
  }

  /** Measures now and then every {@code period}, until closed. */
  public synchronized ConsumerLag start(Duration period) {
    if (polling != null) {
      throw new IllegalStateException("consumer lag already started");
    }
    polling = Flux.interval(Duration.ZERO, period, scheduler)
        .onBackpressureDrop()
        .subscribe(tick -> measure());
    return this;
  }

  /**
   * Measures every group once, blocking (up to a few seconds per admin call); a group that
   * cannot be read keeps its last values and is logged once per reason.
   */
  public void measure() {
    for (String group : groups) {
      try {
        measure(group);
      } catch (ExecutionException | TimeoutException | RuntimeException e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        String problem = group + ": " + cause;
        if (loggedProblems.add(problem)) {
          LOG.warn("consumer lag of group {} not measured: {}", group, cause.toString());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void measure(String group)
      throws ExecutionException, TimeoutException, InterruptedException {
    Map<TopicPartition, OffsetAndMetadata> committed =
        get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
    Set<String> topics = committed.keySet().stream()
        .map(TopicPartition::topic)
        .filter(t -> t.startsWith(topicPrefix))
        .collect(Collectors.toCollection(TreeSet::new));
    if (topics.isEmpty()) {
      return;
    }
    Map<String, TopicDescription> described = get(admin.describeTopics(topics).allTopicNames());
    List<TopicPartition> partitions = new ArrayList<>();
    described.values().forEach(d -> d.partitions()
        .forEach(p -> partitions.add(new TopicPartition(d.name(), p.partition()))));
    Map<TopicPartition, ListOffsetsResultInfo> ends = offsets(partitions, OffsetSpec.latest());
    Map<TopicPartition, ListOffsetsResultInfo> starts = offsets(partitions, OffsetSpec.earliest());
    Map<String, Long> byTopic = new HashMap<>();
    for (TopicPartition partition : partitions) {
      long end = ends.get(partition).offset();
      OffsetAndMetadata commit = committed.get(partition);
      long from = commit != null ? commit.offset() : starts.get(partition).offset();
      byTopic.merge(partition.topic(), Math.max(0, end - from), Long::sum);
    }
    byTopic.forEach((topic, lag) -> gauge(group, topic).set(lag));
  }

  private Map<TopicPartition, ListOffsetsResultInfo> offsets(
      List<TopicPartition> partitions, OffsetSpec spec)
      throws ExecutionException, TimeoutException, InterruptedException {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    partitions.forEach(p -> request.put(p, spec));
    return get(admin.listOffsets(request).all());
  }

  private AtomicLong gauge(String group, String topic) {
    return lags.computeIfAbsent(List.of(group, topic), key -> {
      AtomicLong holder = new AtomicLong();
      Gauge.builder(METER, holder, AtomicLong::get)
          .tags(Tags.of("group", group, "topic", topic))
          .description("records of the topic not yet committed by the consumer group")
          .baseUnit("records")
          .register(registry);
      return holder;
    });
  }

  private static <T> T get(KafkaFuture<T> future)
      throws ExecutionException, TimeoutException, InterruptedException {
    return future.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /** Stops measuring and closes the admin client; the gauges keep their last values. */
  @Override
  public synchronized void close() {
    if (polling != null) {
      polling.dispose();
    }
    scheduler.dispose();
    admin.close(Duration.ofSeconds(5));
  }
}
