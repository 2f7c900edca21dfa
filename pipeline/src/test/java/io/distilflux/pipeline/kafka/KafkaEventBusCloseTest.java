package io.distilflux.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.TrajectoryForecast;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;

/**
 * Closing a bus (Ctrl-C of {@code run}) does not wait out the fetches its readers without a
 * group park at the broker: such a reader leaves its idle fetch parked for seconds, and a
 * consumer's close would otherwise queue its fetch session's closing request behind it, reader
 * after reader.
 */
class KafkaEventBusCloseTest {

  @RegisterExtension static final KafkaBroker KAFKA = KafkaBroker.of(TestKafka.Mode.EMBEDDED);

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int READERS = 3;

  @Test
  void closingDoesNotWaitForTheFetchesIdleReadersParked() throws Exception {
    Topics topics = new Topics("c" + UUID.randomUUID().toString().substring(0, 8) + ".");
    KafkaTopicsAdmin.singleBroker().ensureTopics(KAFKA.bootstrapServers(), topics);
    KafkaEventBus bus =
        KafkaEventBus.connect(KAFKA.bootstrapServers(), topics, KafkaBusSettings.defaults(),
            letter -> {});
    bus.publish(topics.forecasts(), Flux.just(SampleEvents.forecast("run"))).blockLast(WAIT);

    List<CompletableFuture<List<TrajectoryForecast>>> readers = new ArrayList<>();
    List<CompletableFuture<Void>> firstRecords = new ArrayList<>();
    for (int i = 0; i < READERS; i++) {
      CompletableFuture<Void> first = new CompletableFuture<>();
      firstRecords.add(first);
      readers.add(bus.consume(topics.forecasts(), ConsumerOptions.wholeHistory("reader" + i))
          .doOnNext(received -> first.complete(null))
          .map(received -> received.event())
          .collectList()
          .toFuture());
    }
    // Each reader has its record: its next fetch is parked at the broker, with nothing to read.
    CompletableFuture.allOf(firstRecords.toArray(CompletableFuture[]::new)).get(60,
        java.util.concurrent.TimeUnit.SECONDS);
    Thread.sleep(200);

    long start = System.nanoTime();
    bus.close();
    Duration closing = Duration.ofNanos(System.nanoTime() - start);

    // Not a speed target: waiting out the parked fetches took five seconds a reader.
    assertTrue(closing.compareTo(Duration.ofSeconds(3)) < 0, "closing took " + closing);
    for (CompletableFuture<List<TrajectoryForecast>> reader : readers) {
      assertEquals(1, reader.get(10, java.util.concurrent.TimeUnit.SECONDS).size());
    }
  }
}
