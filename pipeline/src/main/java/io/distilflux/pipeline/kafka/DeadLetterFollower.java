package io.distilflux.pipeline.kafka;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the dead-letter topic from its start, on a thread of its own, and tells a listener of
 * every record that has a letter, once per record ({@code topic, partition, offset}) however many
 * letters it has: what the monitor counts, whichever process wrote the letters. No group, no
 * commit: every start reads the whole topic again (its retention bounds it).
 */
public final class DeadLetterFollower implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterFollower.class);
  private static final Duration POLL = Duration.ofMillis(500);
  /** Records remembered to tell repeated letters apart. */
  private static final int REMEMBERED = 100_000;

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final Consumer<DeadLetter> listener;
  private final Thread thread;
  private final Set<String> seen = java.util.Collections.newSetFromMap(new LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > REMEMBERED;
    }
  });
  private volatile boolean running = true;

  private DeadLetterFollower(
      KafkaConnection connection, String topic, Consumer<DeadLetter> listener) {
    this.topic = topic;
    this.listener = listener;
    this.consumer = new KafkaConsumer<>(connection.clientConfig(Map.of(
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
            ConsumerConfig.CLIENT_ID_CONFIG, "distilflux-deadletter-follower-" + UUID.randomUUID())),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::run, "distilflux-deadletter-follower");
    thread.setDaemon(true);
  }

  /** Starts following {@code topic}; the listener is called on the follower's thread. */
  public static DeadLetterFollower start(
      KafkaConnection connection, String topic, Consumer<DeadLetter> listener) {
    DeadLetterFollower follower = new DeadLetterFollower(connection, topic, listener);
    follower.thread.start();
    return follower;
  }

  private void run() {
    try {
      Set<TopicPartition> assigned = new HashSet<>();
      while (running) {
        if (assigned.isEmpty()) {
          List<PartitionInfo> infos = consumer.partitionsFor(topic);
          if (infos != null) {
            infos.forEach(i -> assigned.add(new TopicPartition(i.topic(), i.partition())));
          }
          if (assigned.isEmpty()) {
            Thread.sleep(POLL.toMillis());
            continue;
          }
          consumer.assign(assigned);
          consumer.seekToBeginning(assigned);
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
          accept(record);
        }
      }
    } catch (WakeupException | InterruptedException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("following {} stopped: {}", topic, e.getMessage());
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void accept(ConsumerRecord<byte[], byte[]> record) {
    DeadLetter letter;
    try {
      letter = DeadLetter.fromJson(record.value());
    } catch (RuntimeException notALetter) {
      return;
    }
    if (seen.add(letter.topic() + '\u0000' + letter.partition() + '\u0000' + letter.offset())) {
      listener.accept(letter);
    }
  }

  /** Stops following. */
  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
