package io.distilflux.pipeline.kafka;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.event.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.scheduler.Schedulers;

/**
 * Reads a topic from the beginning (or from the first records written at or after a time) up to
 * the end offsets captured when the read starts, with a consumer of no group that assigns itself
 * every partition: a bounded replay, so a service rebuilding its state knows exactly when it has
 * caught up.
 */
final class KafkaReplay {

  private KafkaReplay() {}

  /**
   * The channel's events written at or after {@code since} ({@link Instant#EPOCH}: all), up to
   * its end offsets at subscription, partition by partition.
   */
  static <E extends Event> Flux<E> read(
      KafkaConnection connection, Channel<E> channel, Duration pollTimeout, Instant since) {
    return Flux.<E>create(sink -> run(connection, channel, pollTimeout, since, sink),
            FluxSink.OverflowStrategy.BUFFER)
        .subscribeOn(Schedulers.boundedElastic());
  }

  private static <E extends Event> void run(
      KafkaConnection connection, Channel<E> channel, Duration pollTimeout, Instant since,
      FluxSink<E> sink) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "distilflux-replay-" + UUID.randomUUID());
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
        connection.clientConfig(config), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(channel.topic()).stream()
              .map(info -> new TopicPartition(info.topic(), info.partition()))
              .toList();
      consumer.assign(partitions);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions));
      seekTo(consumer, partitions, since, end);
      end.keySet().removeIf(p -> consumer.position(p) >= end.get(p));
      while (!end.isEmpty() && !sink.isCancelled()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(pollTimeout)) {
          Long stop = end.get(new TopicPartition(record.topic(), record.partition()));
          if (stop == null || record.offset() >= stop) {
            continue; // written after the replay began: not part of it
          }
          try {
            sink.next(EventCodec.decode(record.value(), channel.type()));
          } catch (RuntimeException malformed) {
            // dead-lettered by the consuming groups; a replay only rebuilds state
          }
        }
        end.keySet().removeIf(p -> consumer.position(p) >= end.get(p));
      }
      sink.complete();
    } catch (RuntimeException e) {
      sink.error(e);
    }
  }

  /**
   * Positions every partition at its first record written at or after {@code since}: at its
   * beginning for {@link Instant#EPOCH}, at {@code end} where no record is that recent.
   */
  static void seekTo(Consumer<?, ?> consumer, Collection<TopicPartition> partitions,
      Instant since, Map<TopicPartition, Long> end) {
    if (since.equals(Instant.EPOCH)) {
      consumer.seekToBeginning(partitions);
      return;
    }
    Map<TopicPartition, Long> query = new HashMap<>();
    partitions.forEach(partition -> query.put(partition, since.toEpochMilli()));
    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
    for (TopicPartition partition : partitions) {
      OffsetAndTimestamp first = found.get(partition);
      consumer.seek(partition, first != null ? first.offset() : end.get(partition));
    }
  }
}
