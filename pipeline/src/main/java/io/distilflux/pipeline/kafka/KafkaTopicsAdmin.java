package io.distilflux.pipeline.kafka;

import io.distilflux.pipeline.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the topics of a {@link Topics} deployment. Event topics keep their records forever
 * ({@code retention.ms=-1}) so a replay reads a run's full history; the dead-letter topic keeps
 * them seven days. Creating topics that already exist is not an error.
 *
 * @param partitions partitions of every topic; records of one run share a partition (key = run
 *     id), so this bounds how many consumers of a group share the work
 * @param replicationFactor replicas of every topic (1 for a single broker)
 */
public record KafkaTopicsAdmin(int partitions, short replicationFactor) {

  /** Partitions per topic unless told otherwise. */
  public static final int DEFAULT_PARTITIONS = 6;

  /** Retention of the dead-letter topic. */
  public static final Duration DEAD_LETTER_RETENTION = Duration.ofDays(7);

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /** Validates the settings. */
  public KafkaTopicsAdmin {
    if (partitions < 1) {
      throw new IllegalArgumentException("topic partitions must be >= 1, got " + partitions);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException(
          "topic replication factor must be >= 1, got " + replicationFactor);
    }
  }

  /** Default partitions, one replica: a single broker that several processes share. */
  public static KafkaTopicsAdmin singleBroker() {
    return new KafkaTopicsAdmin(DEFAULT_PARTITIONS, (short) 1);
  }

  /**
   * One partition, one replica: a broker whose only clients are one process, its runs and its
   * in-process services, each group a single consumer. Partitions there spread no work over
   * instances; each one only costs every produce and fetch request a batch, an append and a read
   * of its own (the synthetic experiment over the embedded broker takes about 0.82 × as long
   * with one partition a topic as with six).
   */
  public static KafkaTopicsAdmin oneProcess() {
    return new KafkaTopicsAdmin(1, (short) 1);
  }

  /** The topic definitions for a deployment, dead-letter topic last. */
  public List<NewTopic> definitions(Topics topics) {
    List<NewTopic> result = new ArrayList<>();
    for (var channel : topics.all()) {
      result.add(
          new NewTopic(channel.topic(), partitions, replicationFactor)
              .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1",
                  TopicConfig.RETENTION_BYTES_CONFIG, "-1")));
    }
    result.add(
        new NewTopic(topics.deadLetter(), partitions, replicationFactor)
            .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG,
                Long.toString(DEAD_LETTER_RETENTION.toMillis()))));
    return result;
  }

  /**
   * Creates every topic of the deployment that does not exist yet.
   *
   * @return the names of the topics this call created
   */
  public Set<String> ensureTopics(String bootstrapServers, Topics topics) {
    return ensureTopics(KafkaConnection.plain(bootstrapServers), topics);
  }

  /** As {@link #ensureTopics(String, Topics)} with the client properties of a connection. */
  public Set<String> ensureTopics(KafkaConnection connection, Topics topics) {
    try (Admin admin = Admin.create(connection.adminConfig())) {
      return ensureTopics(admin, topics);
    }
  }

  /** As {@link #ensureTopics(String, Topics)} with a caller's admin client. */
  public Set<String> ensureTopics(Admin admin, Topics topics) {
    // Only the missing ones: a principal allowed to use the topics need not be allowed to
    // create them (on a secured cluster an operator creates them).
    Set<String> existing = existingTopics(admin);
    List<NewTopic> missing = definitions(topics).stream()
        .filter(topic -> !existing.contains(topic.name())).toList();
    if (missing.isEmpty()) {
      return Set.of();
    }
    CreateTopicsResult result = admin.createTopics(missing);
    Set<String> created = new java.util.TreeSet<>();
    for (var entry : result.values().entrySet()) {
      try {
        entry.getValue().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        created.add(entry.getKey());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException(
              "cannot create topic " + entry.getKey() + ": " + e.getCause().getMessage(),
              e.getCause());
        }
      } catch (TimeoutException e) {
        throw new IllegalStateException("timed out creating topic " + entry.getKey(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted creating topic " + entry.getKey(), e);
      }
    }
    awaitLeaders(admin, topics);
    return created;
  }

  private static Set<String> existingTopics(Admin admin) {
    try {
      return admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return Set.of(); // creating says what is wrong, topic by topic
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted listing topics", e);
    }
  }

  /**
   * New partitions take a moment to get a leader, and the leader a moment more to accept writes
   * after the metadata names it. Producing before that is not only retried: an idempotent
   * producer whose first batch to a partition was refused while a later one was taken is stuck
   * on an out-of-order sequence until its delivery timeout. So this waits until every
   * partition's leader answers a request served by the partition itself (describe producers).
   */
  private static void awaitLeaders(Admin admin, Topics topics) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        List<TopicPartition> partitions = new ArrayList<>();
        boolean ready =
            admin.describeTopics(topics.names()).allTopicNames()
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).values().stream()
                .allMatch(d -> d.partitions().stream().allMatch(p -> {
                  partitions.add(new TopicPartition(d.name(), p.partition()));
                  return p.leader() != null && !p.leader().isEmpty();
                }));
        if (ready) {
          admin.describeProducers(partitions).all()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          return;
        }
      } catch (ExecutionException e) {
        // metadata not propagated yet (unknown topic) or a leader not serving yet: try again
      } catch (TimeoutException e) {
        throw new IllegalStateException("timed out waiting for topic leaders", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for topic leaders", e);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("topics " + topics.names() + " have no leader yet");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for topic leaders", e);
      }
    }
  }
}
