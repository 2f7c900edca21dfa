package io.distilflux.trainer.run;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.event.Event;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Reads back what a topic holds for one run, from the earliest offset with a fresh group. */
final class TopicReader {

  /** How long the first record may take: a fresh group must join and fetch. */
  private static final Duration FIRST = Duration.ofSeconds(30);
  /** Once records flow, this long without one means the topic has been read to its end. */
  private static final Duration QUIET = Duration.ofSeconds(2);

  private TopicReader() {}

  /** Every event of {@code runId} on {@code channel}, in topic order. */
  static <E extends Event> Mono<List<E>> all(EventBus bus, Channel<E> channel, String runId) {
    ConsumerOptions options =
        ConsumerOptions.earliest("e2e-check-" + UUID.randomUUID()).forRun(runId);
    Flux<Received<E>> records = bus.consume(channel, options);
    return records
        .timeout(Mono.delay(FIRST), ignored -> Mono.delay(QUIET), Flux.empty())
        .map(Received::event)
        .collectList();
  }
}
