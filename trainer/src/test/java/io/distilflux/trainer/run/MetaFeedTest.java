package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.Unconstrained;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

class MetaFeedTest {

  private static final Duration SHORT = Duration.ofMillis(200);
  private static final Unconstrained START = new Unconstrained(0.1, -0.2, -1.0);
  private final Topics topics = Topics.defaults();

  @Test
  void eachRunGetsItsOwnUpdatesFromOneFeedEvenThosePublishedBeforeItAttached() throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus();
        MetaFeed feed = new MetaFeed(bus, topics, "feed", List.of("run-a", "run-b"))) {
      Unconstrained early = new Unconstrained(1, 1, 1);
      publish(bus, update("run-a", 1, early));
      try (StreamedMetaSource a = new StreamedMetaSource(feed, "run-a", config(), START);
          StreamedMetaSource b = new StreamedMetaSource(feed, "run-b", config(), START)) {
        Unconstrained forB = new Unconstrained(2, 2, 2);
        publish(bus, update("run-b", 1, forB), update("run-c", 2, new Unconstrained(9, 9, 9)));
        assertEquals(early, a.pointFor(1, SHORT).b(), "kept until run-a attached");
        assertEquals(forB, b.pointFor(1, SHORT).b());
        assertThrows(MetaTimeoutException.class, () -> a.pointFor(2, SHORT),
            "another run's update is not run-a's");
      }
    }
  }

  @Test
  void onlyTheFeedsRunsAttachAndEachOnce() {
    try (InMemoryEventBus bus = new InMemoryEventBus();
        MetaFeed feed = new MetaFeed(bus, topics, "feed", List.of("run-a"))) {
      assertThrows(IllegalArgumentException.class,
          () -> new StreamedMetaSource(feed, "run-z", config(), START));
      try (StreamedMetaSource a = new StreamedMetaSource(feed, "run-a", config(), START)) {
        assertThrows(IllegalStateException.class,
            () -> new StreamedMetaSource(feed, "run-a", config(), START));
      }
    }
  }

  private static RunConfig config() {
    return new RunConfig(RunConfig.DatasetKind.SYNTHETIC, "", RunConfig.Mode.HYPERGRADIENT, 1, 1,
        100, 0, "logreg", "logreg", RunConfig.OptimizerKind.SGD, 0.1,
        RunConfig.OptimizerKind.SGD, 1.0, 1.0, 4, 2, START, false, 0, 0, false);
  }

  private static MetaParams update(String run, long version, Unconstrained b) {
    return new MetaParams(Event.CURRENT_SCHEMA_VERSION, run, version, b.toValues(), b,
        MetaParamSource.OPTIMIZER);
  }

  private void publish(InMemoryEventBus bus, Event... events) {
    for (Event event : events) {
      bus.publish(topics.channelOf(event), Flux.just(event)).blockLast();
    }
  }
}
