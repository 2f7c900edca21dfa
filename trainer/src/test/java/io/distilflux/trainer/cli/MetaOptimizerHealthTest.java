package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.monitor.http.Health;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.meta.MetaOptimizerService;
import io.distilflux.pipeline.meta.MetaOptimizerSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The standalone meta-optimizer's health and counters. */
class MetaOptimizerHealthTest {

  @Test
  void upWhileConsumingDownOnceClosedAndCountersOnMetrics() {
    Topics topics = Topics.defaults();
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      MetaOptimizerService optimizer = new MetaOptimizerService(bus, topics, "g",
          MetaOptimizerSettings.defaults());
      Health before = MetaOptimizerHealth.of(optimizer, "g");
      assertFalse(before.up());
      optimizer.start();
      Health running = MetaOptimizerHealth.of(optimizer, "g");
      assertTrue(running.up());
      assertEquals("{\"status\":\"UP\",\"group\":\"g\",\"updates\":0,\"skippedNonFinite\":0,"
          + "\"duplicates\":0,\"rejected\":0,\"runs\":0}", running.toJson());
      String scrape = MetaOptimizerHealth.registry(optimizer).scrape();
      for (String name : new String[] {"distilflux_metaoptimizer_updates_total",
          "distilflux_metaoptimizer_skipped_total", "distilflux_metaoptimizer_duplicates_total",
          "distilflux_metaoptimizer_rejected_total", "distilflux_metaoptimizer_runs"}) {
        assertTrue(scrape.contains(name + " "), name + " in\n" + scrape);
      }
      optimizer.close();
      assertFalse(MetaOptimizerHealth.of(optimizer, "g").up());
    }
  }
}
