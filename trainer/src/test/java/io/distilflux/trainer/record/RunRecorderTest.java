package io.distilflux.trainer.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.EventRouter;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.record.RecordedRun;
import io.distilflux.pipeline.record.RunArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/** The recorder writes each run of its set once the run has finished and gone quiet. */
class RunRecorderTest {

  @TempDir Path dir;

  private static final MetaValues META = new MetaValues(0.5, 0.5, 2);

  private static RunStarted started(String run) {
    RunConfig config = new RunConfig(RunConfig.DatasetKind.SYNTHETIC, "", RunConfig.Mode.FORECAST,
        1, 1, 2, 0, "logreg", "logreg", RunConfig.OptimizerKind.SGD, 0.1,
        RunConfig.OptimizerKind.SGD, 1, 1, 2, 2, Unconstrained.fromValues(META), false, 1, 0,
        false);
    return new RunStarted(Event.CURRENT_SCHEMA_VERSION, run, config, 1L,
        new Provenance("test", "17", "host", "cpu"));
  }

  private static TrainingStep step(String run, long step) {
    return new TrainingStep(Event.CURRENT_SCHEMA_VERSION, run, step, 0, Phase.HYPERGRADIENT, 1, 1,
        1, META, 0.001, 2L);
  }

  private static MetaParams update(String run, long version) {
    return new MetaParams(Event.CURRENT_SCHEMA_VERSION, run, version, META,
        Unconstrained.fromValues(META), MetaParamSource.OPTIMIZER);
  }

  private static RunFinished finished(String run) {
    return new RunFinished(Event.CURRENT_SCHEMA_VERSION, run, 2, null, 2, 0, 0.1, 0.05, null, 3L);
  }

  @Test
  void recordsTheRunsOfItsSetWithEventsArrivingAfterRunFinished() throws Exception {
    Topics topics = Topics.defaults();
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      EventRouter router = new EventRouter(bus, topics);
      RunRecorder recorder = new RunRecorder(bus, topics, Set.of("a"), dir,
          Duration.ofMillis(300)).start();
      router.publish(Flux.just(started("a"), step("a", 0), started("other"), step("other", 0),
          step("a", 1), finished("a"))).blockLast();
      // The meta-optimizer's answer to the last hypergradient, after RunFinished.
      router.publish(Flux.just(update("a", 2))).blockLast();
      List<Path> written = recorder.finish(Duration.ofSeconds(10));

      assertEquals(List.of(dir.resolve("a.jsonl")), written);
      assertFalse(Files.exists(dir.resolve("other.jsonl")), "runs outside the set are ignored");
      RecordedRun run = RunArchive.read(dir.resolve("a.jsonl"));
      assertTrue(run.events().get(0) instanceof RunStarted);
      assertEquals(2, run.eventsOf(TrainingStep.class).size());
      assertEquals(1, run.eventsOf(MetaParams.class).size(), "the late update is in the archive");
      assertTrue(run.finished().isPresent());
      assertEquals(5, run.events().size());
    }
  }

  @Test
  void aRunThatNeverFinishesKeepsWhatWasCapturedWhenTheRecorderFinishes() {
    Topics topics = Topics.defaults();
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      RunRecorder recorder = new RunRecorder(bus, topics, Set.of("b"), dir,
          Duration.ofMillis(100)).start();
      new EventRouter(bus, topics).publish(Flux.just(started("b"), step("b", 0))).blockLast();
      List<Path> written = recorder.finish(Duration.ofMillis(500));
      assertEquals(List.of(dir.resolve("b.jsonl")), written);
      RecordedRun run = RunArchive.read(dir.resolve("b.jsonl"));
      assertEquals(2, run.events().size());
      assertTrue(run.finished().isEmpty());
    }
  }
}
