package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.monitor.MonitorService;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.meta.MetaOptimizerService;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Two meta-optimizer and two monitor instances in their consumer groups serve eight concurrent
 * runs over topics of 6 partitions; one of each stops mid-way and the survivors take over its
 * partitions. Every run completes with exactly one update per version and one forecast per
 * period.
 */
class ScaleOutTest {

  private static final int RUNS = 8;
  private static final int STEPS = 30;

  @TempDir Path workDir;

  @Test
  void eightRunsCompleteWhileInstancesOfEachGroupStop() throws Exception {
    try (KafkaServices services = new KafkaServices(Map.of("iterations",
        Integer.toString(STEPS), "meta-timeout", "60", "mini-epoch", "5", "forecast-every", "2"),
        workDir)) {
      MetaOptimizerService secondMeta = services.startMetaOptimizer();
      MonitorService secondMonitor =
          services.startMonitor(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      Scheduler trainers = Schedulers.newBoundedElastic(RUNS, 16, "scale-out");
      try {
        List<String> ids = new ArrayList<>();
        CountDownLatch allStarted = new CountDownLatch(RUNS);
        List<Mono<RunFinished>> runs = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
          String id = "scale-" + i;
          ids.add(id);
          RunConfig config = services.config(
              i % 2 == 0 ? RunConfig.Mode.HYPERGRADIENT : RunConfig.Mode.FORECAST, STEPS);
          runs.add(Mono.fromCallable(() -> services.train(id, config, events ->
                  events.doOnNext(e -> {
                    if (e instanceof TrainingStep s && s.step() == 8) {
                      allStarted.countDown();
                    }
                  })))
              .subscribeOn(trainers));
        }
        var all = Flux.merge(runs).collectList().toFuture();
        assertTrue(allStarted.await(120, TimeUnit.SECONDS), "not every run reached step 8");
        secondMeta.close(); // its partitions move to the first instance
        secondMonitor.close();

        List<RunFinished> finished = all.get(240, TimeUnit.SECONDS);
        assertEquals(RUNS, finished.size());
        for (RunFinished f : finished) {
          assertNull(f.failure(), f.runId() + ": " + f.failure());
          assertEquals(STEPS, f.steps(), f.runId());
        }
        for (String id : ids) {
          List<MetaParams> updates =
              TopicReader.all(services.bus, services.topics.metaParams(), id).block();
          Map<Long, MetaParams> byVersion = PipelineEndToEndTest.oneMetaParamsPerVersion(updates);
          assertEquals(byVersion.size(), updates.size(), id + ": one update per version");
          if (ids.indexOf(id) % 2 == 0) {
            assertEquals(STEPS, byVersion.size(), id + ": versions 1.." + STEPS);
          }
          PipelineEndToEndTest.assertStepsOnceInOrder(
              TopicReader.all(services.bus, services.topics.steps(), id).block(), STEPS);
          List<TrajectoryForecast> forecasts =
              TopicReader.all(services.bus, services.topics.forecasts(), id).block();
          assertEquals(forecasts.stream().map(TrajectoryForecast::periodStart)
              .collect(Collectors.toSet()).size(), forecasts.size(), id + ": forecast once");
        }
      } finally {
        trainers.dispose();
      }
    }
  }
}
