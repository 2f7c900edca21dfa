package io.distilflux.trainer.run;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.event.Event;
import java.util.List;
import reactor.core.publisher.Mono;

/** Reads back what a topic holds for one run, up to the topic's end when called. */
final class TopicReader {

  private TopicReader() {}

  /** Every event of {@code runId} on {@code channel}, in topic order. */
  static <E extends Event> Mono<List<E>> all(EventBus bus, Channel<E> channel, String runId) {
    return bus.replay(channel).filter(e -> e.runId().equals(runId)).collectList();
  }
}
