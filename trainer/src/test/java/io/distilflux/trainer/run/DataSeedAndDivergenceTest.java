package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.trainer.cli.ExperimentSpec;
import io.distilflux.trainer.cli.RunOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.scheduler.Schedulers;

/** A data seed shares one data set between seeds; the divergence reaches the run's loss. */
class DataSeedAndDivergenceTest {

  @TempDir Path workDir;

  @Test
  void seedsOfOneDataSeedShareTheDataAndTheTeacher() throws Exception {
    ExperimentSpec spec = spec("forward");
    try (EventBus bus = new InMemoryEventBus()) {
      RunAssembler assembler = assembler(bus, spec);
      PreparedData first = assembler.data().prepare(spec.configFor(RunConfig.Mode.FIXED, 0, 3));
      PreparedData second = assembler.data().prepare(spec.configFor(RunConfig.Mode.FIXED, 1, 3));
      assertSame(first, second);
      assertTrue(first.description().startsWith("synthetic numpy data-seed=42"),
          first.description());
    }
  }

  @Test
  void reverseDivergenceChangesTheDistillationLossOfTheSameStep() throws Exception {
    double forward = firstDistillationLoss(spec("forward"));
    double reverse = firstDistillationLoss(spec("reverse"));
    assertTrue(reverse >= 0, "a Kullback-Leibler divergence is not negative: " + reverse);
    assertNotEquals(forward, reverse, 1e-6);
  }

  private double firstDistillationLoss(ExperimentSpec spec) throws Exception {
    try (EventBus bus = new InMemoryEventBus()) {
      RunConfig config = spec.configFor(RunConfig.Mode.FIXED, 0, 3);
      TrainingStep step = assembler(bus, spec).assemble("d-" + config.divergence(), config)
          .events(Schedulers.boundedElastic())
          .ofType(TrainingStep.class)
          .blockFirst(Duration.ofSeconds(60));
      assertEquals(0, step.step());
      return step.kdLoss();
    }
  }

  private RunAssembler assembler(EventBus bus, ExperimentSpec spec) {
    return new RunAssembler(new DataOptions(0, 0, 0, 1, 50, workDir), bus, Topics.defaults(),
        spec.metaTimeout(), Provenance.current("test"));
  }

  private static ExperimentSpec spec(String divergence) {
    return RunOptions.parse(Map.of("data-seed", "42", "first-seed", "0", "seeds", "2",
        "iterations", "3", "teacher-steps", "50", "divergence", divergence,
        "validation-is-test", "true"));
  }
}
