package io.distilflux.pipeline.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which records already have a dead letter, so that each is dead-lettered once: whichever of the
 * process's consumers rejects it first (a record read by several groups, or again by a reader
 * of the whole history after a restart) writes its letter, the others skip it. Before the first
 * claim the dead-letter topic is read up to its end, so letters of earlier processes count.
 *
 * <p>At most {@link #CAPACITY} records are remembered; beyond that the lowest offsets of each
 * partition are forgotten first (a reader of the whole history meets them again only after a
 * restart, and then writes their letters once more).
 */
final class DeadLetterLedger {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterLedger.class);
  /** Records remembered at most: a few megabytes. */
  static final int CAPACITY = 100_000;

  private final KafkaConnection connection;
  private final String deadLetterTopic;
  private final Duration pollTimeout;
  private final Map<TopicPartition, NavigableSet<Long>> claimed = new HashMap<>();
  private final AtomicInteger size = new AtomicInteger();
  private boolean loaded;

  DeadLetterLedger(KafkaConnection connection, String deadLetterTopic, Duration pollTimeout) {
    this.connection = connection;
    this.deadLetterTopic = deadLetterTopic;
    this.pollTimeout = pollTimeout;
  }

  /**
   * Claims a record for a dead letter: true when none was written for it yet, in this process
   * or (read once, on the first claim) earlier. Blocks on the first call while the topic is read.
   */
  synchronized boolean claim(String topic, int partition, long offset) {
    if (!loaded) {
      loaded = true;
      load();
    }
    return remember(new TopicPartition(topic, partition), offset);
  }

  /** Forgets a claim whose letter could not be written, so that a later reader tries again. */
  synchronized void release(String topic, int partition, long offset) {
    NavigableSet<Long> offsets = claimed.get(new TopicPartition(topic, partition));
    if (offsets != null && offsets.remove(offset)) {
      size.decrementAndGet();
    }
  }

  private boolean remember(TopicPartition partition, long offset) {
    NavigableSet<Long> offsets =
        claimed.computeIfAbsent(partition, p -> new ConcurrentSkipListSet<>());
    if (!offsets.add(offset)) {
      return false;
    }
    if (size.incrementAndGet() > CAPACITY) {
      offsets.pollFirst();
      size.decrementAndGet();
    }
    return true;
  }

  /** Reads the letters already on the topic; a topic that cannot be read counts as empty. */
  private void load() {
    Map<String, Object> config = connection.clientConfig(Map.of(
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.CLIENT_ID_CONFIG, "distilflux-deadletters-" + UUID.randomUUID()));
    int read = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = consumer.partitionsFor(deadLetterTopic, Duration.ofSeconds(10));
      if (infos == null || infos.isEmpty()) {
        return;
      }
      List<TopicPartition> partitions = infos.stream()
          .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions));
      end.keySet().removeIf(p -> consumer.position(p) >= end.get(p));
      while (!end.isEmpty()) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(pollTimeout)) {
          try {
            DeadLetter letter = DeadLetter.fromJson(record.value());
            remember(new TopicPartition(letter.topic(), letter.partition()), letter.offset());
            read++;
          } catch (RuntimeException notALetter) {
            // something else on the topic: nothing to remember
          }
        }
        end.keySet().removeIf(p -> consumer.position(p) >= end.get(p));
      }
      LOG.debug("{} dead letters already on {}", read, deadLetterTopic);
    } catch (RuntimeException e) {
      LOG.warn("cannot read {} ({}): records rejected before this start may be "
          + "dead-lettered again", deadLetterTopic, e.getMessage());
    }
  }
}
