package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.trainer.cli.ExperimentSpec;
import io.distilflux.trainer.cli.RunOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.scheduler.Schedulers;

/** An optimised run with nobody answering its hypergradients fails with a reason, never hangs. */
class MissingMetaOptimizerTest {

  @TempDir Path workDir;

  @Test
  void hypergradientRunWithoutMetaOptimizerFailsWithOneLineNamingIt() {
    ExperimentSpec spec = RunOptions.parse(Map.of("iterations", "20", "seeds", "1",
        "teacher-steps", "50", "train-size", "30", "validation-size", "15", "test-size", "30",
        "meta-timeout", "1"));
    try (EventBus bus = new InMemoryEventBus()) {
      RunAssembler assembler = new RunAssembler(
          new DataOptions(30, 15, 30, 1, 50, workDir), bus, Topics.defaults(),
          spec.metaTimeout(), Provenance.current("test"));
      RunConfig config = spec.configFor(RunConfig.Mode.HYPERGRADIENT, 42, 20);

      long begin = System.nanoTime();
      List<Event> events = assembler.assemble("no-meta", config)
          .events(Schedulers.boundedElastic())
          .collectList()
          .block(Duration.ofSeconds(60));
      double seconds = (System.nanoTime() - begin) / 1e9;

      assertNotNull(events);
      RunFinished finished = assertInstanceOf(RunFinished.class, events.get(events.size() - 1));
      String failure = finished.failure();
      assertNotNull(failure, "the run must fail");
      assertEquals(1, failure.lines().count(), "one line: " + failure);
      assertTrue(failure.contains("step 1") && failure.contains("meta-optimizer"), failure);
      // Step 0 uses the initial point; step 1 waits for the first update and gives up.
      assertEquals(1, finished.steps());
      assertTrue(seconds < 30, "gave up after " + seconds + " s");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
