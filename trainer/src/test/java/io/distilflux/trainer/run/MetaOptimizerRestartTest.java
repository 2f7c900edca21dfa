package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.TrainingStep;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The meta-optimizer goes away in the middle of a hypergradient run and a new instance of the
 * same group takes over: the run waits, then finishes, with no step trained twice and exactly
 * one update per version.
 */
class MetaOptimizerRestartTest {

  private static final int STEPS = 30;
  private static final long STOP_AFTER_STEP = 10;
  /** Longer than a step (tens of milliseconds here), shorter than the run's meta timeout. */
  private static final Duration GAP = Duration.ofMillis(1500);

  @TempDir Path workDir;

  @Test
  void runFinishesOnceANewInstanceOfTheGroupTakesOver() throws Exception {
    try (KafkaServices services = new KafkaServices(
        Map.of("iterations", Integer.toString(STEPS), "meta-timeout", "40"), workDir)) {
      String runId = "e2e-restart";
      RunConfig config = services.config(RunConfig.Mode.HYPERGRADIENT, STEPS);
      CountDownLatch passedStop = new CountDownLatch(1);
      CompletableFuture<RunFinished> finished = Mono.fromCallable(() -> services.train(runId,
              config, events -> events.doOnNext(event -> {
                if (event instanceof TrainingStep s && s.step() >= STOP_AFTER_STEP) {
                  passedStop.countDown();
                }
              })))
          .subscribeOn(Schedulers.boundedElastic())
          .toFuture();

      assertTrue(passedStop.await(60, TimeUnit.SECONDS), "the run never reached step "
          + STOP_AFTER_STEP);
      services.stopMetaOptimizer();
      Thread.sleep(GAP.toMillis());
      services.restartMetaOptimizer();

      RunFinished result = finished.get(90, TimeUnit.SECONDS);
      assertNull(result.failure(), "failure: " + result.failure());
      assertEquals(STEPS, result.steps());

      List<TrainingStep> steps =
          TopicReader.all(services.bus, services.topics.steps(), runId).block();
      PipelineEndToEndTest.assertStepsOnceInOrder(steps, STEPS);
      List<MetaParams> updates =
          TopicReader.all(services.bus, services.topics.metaParams(), runId).block();
      Map<Long, MetaParams> byVersion = PipelineEndToEndTest.oneMetaParamsPerVersion(updates);
      for (long version = 1; version <= STEPS; version++) {
        assertTrue(byVersion.containsKey(version), "no MetaParams of version " + version);
      }
      assertEquals(STEPS, updates.size());
    }
  }
}
