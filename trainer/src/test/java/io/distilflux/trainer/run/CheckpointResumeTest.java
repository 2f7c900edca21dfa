package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.EventRouter;
import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * A hypergradient run over Kafka is killed in the middle (its event stream disposed and its bus
 * closed, as a dying process would leave it), resumed from its checkpoints by a new assembler,
 * and compared with the same run trained without interruption: the same steps, each once on
 * the topic, with the same losses, and the same final accuracy.
 */
class CheckpointResumeTest {

  private static final int STEPS = 36;
  private static final int EVERY = 8;
  private static final long KILL_AT = 21;

  @TempDir Path workDir;

  @Test
  void resumedRunMatchesTheUninterruptedOneStepForStep() throws Exception {
    try (KafkaServices services = new KafkaServices(
        Map.of("iterations", Integer.toString(STEPS), "meta-timeout", "40",
            "evaluate-every", "10"), workDir)) {
      RunConfig config = services.config(RunConfig.Mode.HYPERGRADIENT, STEPS);
      RunFinished reference = services.train("ref", config, events -> events);
      assertNull(reference.failure(), reference.failure());

      Path checkpoints = workDir.resolve("checkpoints");
      LongRunOptions longRun = new LongRunOptions(OnMetaTimeout.FAIL,
          new Checkpointing(EVERY, 2, checkpoints), new SimpleMeterRegistry());
      String runId = "killed";
      try (KafkaEventBus dying = KafkaEventBus.connect(services.kafka.bootstrapServers(),
          services.topics)) {
        StudentRun run = services.assembler(dying, longRun).assemble(runId, config);
        AtomicReference<Disposable> publishing = new AtomicReference<>();
        CountDownLatch killed = new CountDownLatch(1);
        Flux<Event> events = run.events(services.trainers).doOnNext(event -> {
          if (event instanceof TrainingStep s && s.step() == KILL_AT) {
            publishing.get().dispose(); // on the trainer's thread: no further step is trained
            killed.countDown();
          }
        });
        publishing.set(new EventRouter(dying, services.topics).publish(events).subscribe());
        assertTrue(killed.await(60, TimeUnit.SECONDS), "the run never reached step " + KILL_AT);
      }
      List<Path> kept = new CheckpointStore(checkpoints.resolve(runId), 2).list();
      assertEquals(2, kept.size(), "the newest two checkpoints: " + kept);
      assertEquals(16, CheckpointStore.stepOf(kept.get(1)));
      try (Stream<Path> leftovers = Files.list(checkpoints.resolve(runId))) {
        assertFalse(leftovers.anyMatch(p -> p.getFileName().toString().startsWith(".tmp")),
            "no temporary checkpoint folder left");
      }

      StudentRun resumed = services.assembler(services.bus, longRun)
          .resume(checkpoints.resolve(runId));
      assertTrue(resumed.firstStep() >= EVERY && resumed.firstStep() <= KILL_AT + 1,
          "resumed at " + resumed.firstStep());
      RunFinished finished = services.publish(resumed.events(services.trainers));
      assertNull(finished.failure(), finished.failure());
      assertEquals(STEPS, finished.steps());
      assertEquals(reference.finalEvaluation().testAccuracy(),
          finished.finalEvaluation().testAccuracy(), "final test accuracy");
      assertEquals(reference.finalEvaluation().testLoss(), finished.finalEvaluation().testLoss());

      List<TrainingStep> expected =
          TopicReader.all(services.bus, services.topics.steps(), "ref").block();
      List<TrainingStep> actual =
          TopicReader.all(services.bus, services.topics.steps(), runId).block();
      PipelineEndToEndTest.assertStepsOnceInOrder(actual, STEPS);
      for (int i = 0; i < STEPS; i++) {
        assertEquals(expected.get(i).trainLoss(), actual.get(i).trainLoss(), "loss of step " + i);
        assertEquals(expected.get(i).meta(), actual.get(i).meta(), "λ of step " + i);
      }
      List<HyperGradient> gradients =
          TopicReader.all(services.bus, services.topics.hyperGradients(), runId).block();
      assertEquals(STEPS, gradients.stream().map(HyperGradient::step).distinct().count());
      assertEquals(STEPS, gradients.size(), "no hypergradient published twice");
      List<Evaluation> evaluations =
          TopicReader.all(services.bus, services.topics.evaluations(), runId).block();
      assertEquals(evaluations.stream().map(Evaluation::step).distinct().count(),
          evaluations.size(), "no evaluation published twice");
      List<MetaParams> updates =
          TopicReader.all(services.bus, services.topics.metaParams(), runId).block();
      assertEquals(STEPS, PipelineEndToEndTest.oneMetaParamsPerVersion(updates).size());
      assertEquals(STEPS, updates.size(), "one update per version");
      assertEquals(STEPS, CheckpointStore.stepOf(
          new CheckpointStore(checkpoints.resolve(runId), 2).latest().orElseThrow()),
          "a checkpoint at the end");
    }
  }
}
