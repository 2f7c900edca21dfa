package io.distilflux.trainer.cli;

import io.distilflux.monitor.http.Health;
import io.distilflux.pipeline.meta.MetaOptimizerService;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the standalone meta-optimizer serves next to its work: {@code /health} (up while it
 * consumes, with its counters) and its counters as meters on {@code /metrics}.
 */
final class MetaOptimizerHealth {

  private MetaOptimizerHealth() {}

  /** The health now: up once caught up and while no subscription has failed. */
  static Health of(MetaOptimizerService optimizer, String group) {
    var stats = optimizer.stats();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("group", group);
    details.put("updates", stats.updates());
    details.put("skippedNonFinite", stats.skippedNonFinite());
    details.put("duplicates", stats.duplicates());
    details.put("rejected", stats.rejected());
    details.put("runs", stats.runs());
    optimizer.failure().ifPresent(reason -> details.put("error", reason));
    return new Health(optimizer.healthy(), details);
  }

  /** A registry with the optimizer's counters. */
  static PrometheusMeterRegistry registry(MetaOptimizerService optimizer) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    FunctionCounter.builder("distilflux.metaoptimizer.updates", optimizer, o -> o.stats().updates())
        .description("hypergradients turned into an update of b").register(registry);
    FunctionCounter.builder("distilflux.metaoptimizer.skipped", optimizer,
            o -> o.stats().skippedNonFinite())
        .description("non-finite hypergradients; their version was published with b unchanged")
        .register(registry);
    FunctionCounter.builder("distilflux.metaoptimizer.duplicates", optimizer,
            o -> o.stats().duplicates())
        .description("hypergradients of versions already published").register(registry);
    FunctionCounter.builder("distilflux.metaoptimizer.rejected", optimizer,
            o -> o.stats().rejected())
        .description("hypergradients out of their run's sequence or of runs never started; "
            + "dead-lettered").register(registry);
    Gauge.builder("distilflux.metaoptimizer.runs", optimizer, o -> o.stats().runs())
        .description("runs this instance has processed hypergradients of").register(registry);
    return registry;
  }
}
