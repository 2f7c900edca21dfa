package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.monitor.MonitorService;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Failures a long run survives, each on an embedded broker: the broker itself restarting, the
 * meta-optimizer gone with {@code --on-meta-timeout hold}, and the monitor restarting.
 */
class FailuresSurvivedTest {

  @TempDir Path workDir;

  @Test
  void brokerRestartMidRunLosesAndDuplicatesNoStep() throws Exception {
    int steps = 40;
    try (KafkaServices services = new KafkaServices(Map.of("iterations",
        Integer.toString(steps), "meta-timeout", "90"), workDir, workDir.resolve("kafka"))) {
      RunConfig config = services.config(RunConfig.Mode.HYPERGRADIENT, steps);
      CountDownLatch passed = new CountDownLatch(1);
      CompletableFuture<RunFinished> finished = train(services, "broker-restart", config,
          events -> events.doOnNext(e -> {
            if (e instanceof TrainingStep s && s.step() >= 10) {
              passed.countDown();
            }
          }));
      assertTrue(passed.await(60, TimeUnit.SECONDS), "never reached step 10");
      services.restartBroker(Duration.ofSeconds(2));

      RunFinished result = finished.get(150, TimeUnit.SECONDS);
      assertNull(result.failure(), result.failure());
      assertEquals(steps, result.steps());
      List<TrainingStep> onTopic =
          TopicReader.all(services.bus, services.topics.steps(), "broker-restart").block();
      PipelineEndToEndTest.assertStepsOnceInOrder(onTopic, steps);
      List<MetaParams> updates =
          TopicReader.all(services.bus, services.topics.metaParams(), "broker-restart").block();
      assertEquals(steps, PipelineEndToEndTest.oneMetaParamsPerVersion(updates).size());
      assertEquals(steps, updates.size(), "one update per version");
    }
  }

  /** Run ahead 0: steps 1 on are held; 4: steps 1 to 4 train on the run's own updates first. */
  @ParameterizedTest(name = "run ahead {0}")
  @ValueSource(ints = {0, 4})
  void holdKeepsTheLastLambdaWhileTheMetaOptimizerIsAwayAndCountsIt(int runAhead)
      throws Exception {
    int steps = 30;
    try (KafkaServices services = new KafkaServices(Map.of("iterations",
        Integer.toString(steps), "meta-timeout", "0.3"), workDir)) {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      LongRunOptions hold =
          new LongRunOptions(OnMetaTimeout.HOLD, Checkpointing.off(), registry, runAhead);
      RunConfig config = services.config(RunConfig.Mode.HYPERGRADIENT, steps);
      services.stopMetaOptimizer();
      StudentRun run = services.assembler(services.bus, hold).assemble("held", config);
      CountDownLatch halfway = new CountDownLatch(1);
      CompletableFuture<RunFinished> finished = Mono.fromCallable(() -> services.publish(
              run.events(services.trainers).doOnNext(e -> {
                if (e instanceof TrainingStep s && s.step() >= steps / 2) {
                  halfway.countDown();
                }
              })))
          .subscribeOn(Schedulers.boundedElastic())
          .toFuture();
      assertTrue(halfway.await(60, TimeUnit.SECONDS), "the held run never got halfway");
      services.restartMetaOptimizer();
      RunFinished result = finished.get(90, TimeUnit.SECONDS);

      assertNull(result.failure(), result.failure());
      assertEquals(steps, result.steps());
      double held = registry.get("distilflux.meta.held.steps").tag("run", "held").counter()
          .count();
      assertTrue(held >= steps / 2 - 1 - runAhead && held < steps, "held steps: " + held);
      List<TrainingStep> onTopic =
          TopicReader.all(services.bus, services.topics.steps(), "held").block();
      PipelineEndToEndTest.assertStepsOnceInOrder(onTopic, steps);
      // the run's own updates move λ up to step runAhead; every held step after keeps its λ
      for (int t = 1; t <= runAhead; t++) {
        assertNotEquals(onTopic.get(t - 1).meta(), onTopic.get(t).meta(), "own λ at step " + t);
      }
      for (int t = runAhead + 1; t < steps / 2; t++) {
        assertEquals(onTopic.get(runAhead).meta(), onTopic.get(t).meta(), "held λ at step " + t);
      }
    }
  }

  @Test
  void restartedMonitorRebuildsItsMetersAndPublishesNoForecastTwice() throws Exception {
    int steps = 40;
    try (KafkaServices services = new KafkaServices(Map.of("iterations",
        Integer.toString(steps), "meta-timeout", "60", "mini-epoch", "5", "forecast-every", "2"),
        workDir)) {
      RunConfig config = services.config(RunConfig.Mode.FORECAST, steps);
      CountDownLatch firstForecastStep = new CountDownLatch(1);
      CompletableFuture<RunFinished> finished = train(services, "monitor-restart", config,
          events -> events.doOnNext(e -> {
            if (e instanceof TrainingStep s && s.step() >= 12) {
              firstForecastStep.countDown();
            }
          }));
      assertTrue(firstForecastStep.await(60, TimeUnit.SECONDS), "never reached step 12");
      services.monitor.close();
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      MonitorService restarted = services.startMonitor(registry);
      services.monitor = restarted;

      RunFinished result = finished.get(90, TimeUnit.SECONDS);
      assertNull(result.failure(), result.failure());
      assertEquals(steps, result.steps());
      awaitTrue(() -> registry.find("distilflux.steps").tag("run", "monitor-restart").counters()
              .stream().mapToDouble(c -> c.count()).sum() == steps,
          "the restarted monitor counts every step once, the ones before its start included");
      List<TrajectoryForecast> forecasts = TopicReader.all(services.bus,
          services.topics.forecasts(), "monitor-restart").block();
      Map<Long, Long> perPeriod = forecasts.stream().collect(
          Collectors.groupingBy(TrajectoryForecast::periodStart, Collectors.counting()));
      assertEquals(steps / 10, perPeriod.size(), "a forecast for each period: " + perPeriod);
      assertTrue(perPeriod.values().stream().allMatch(n -> n == 1),
          "each period forecast once: " + perPeriod);
      // the last forecast may still be on its way back from the topic when the run ends
      awaitTrue(() -> registry.get("distilflux.forecasts").tag("run", "monitor-restart")
          .counter().count() == steps / 10, "forecast meter rebuilt from the topic");
    }
  }

  private static CompletableFuture<RunFinished> train(KafkaServices services, String runId,
      RunConfig config, java.util.function.Function<Flux<Event>, Flux<Event>> tap) {
    return Mono.fromCallable(() -> services.train(runId, config, tap))
        .subscribeOn(Schedulers.boundedElastic())
        .toFuture();
  }

  private static void awaitTrue(BooleanSupplier condition, String what) {
    Mono.fromCallable(condition::getAsBoolean)
        .filter(Boolean::booleanValue)
        .repeatWhenEmpty(200, f -> f.delayElements(Duration.ofMillis(100)))
        .blockOptional(Duration.ofSeconds(30))
        .orElseThrow(() -> new AssertionError(what));
  }
}
