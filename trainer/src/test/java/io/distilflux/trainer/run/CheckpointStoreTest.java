package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.distill.OptimizerState;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

class CheckpointStoreTest {

  @TempDir Path folder;

  @Test
  void aWriteCutShortByAnInterruptNamesItsCauseAndLeavesTheCheckpointBefore() throws Exception {
    CheckpointStore store = new CheckpointStore(folder.resolve("run"), 2);
    Path first = store.write(checkpoint(10), 4);
    UncheckedIOException e;
    Thread.currentThread().interrupt(); // as when a stopping experiment disposes its trainers
    try {
      e = assertThrows(UncheckedIOException.class, () -> store.write(checkpoint(20), 4));
    } finally {
      assertTrue(Thread.interrupted(), "the interrupt is kept for the run's loop to see");
    }
    assertTrue(e.getMessage().endsWith(": ClosedByInterruptException"), e.getMessage());
    assertEquals(List.of(first), store.list());
    try (Stream<Path> entries = Files.list(folder.resolve("run"))) {
      assertFalse(entries.anyMatch(p -> p.getFileName().toString().startsWith(".tmp")),
          "no temporary folder left");
    }
  }

  private static Checkpoint checkpoint(long step) {
    RunConfig config = new RunConfig(RunConfig.DatasetKind.SYNTHETIC, "",
        RunConfig.Mode.HYPERGRADIENT, 1, 1, 100, 0, "logreg", "logreg",
        RunConfig.OptimizerKind.SGD, 0.1, RunConfig.OptimizerKind.SGD, 1.0, 1.0, 4, 2,
        new Unconstrained(0.0, 0.0, 0.0), false, 0, 0, false);
    return new Checkpoint("run", config, step, Nd4j.createFromArray(1.0, 2.0, 3.0),
        new OptimizerState(Nd4j.zeros(3), Nd4j.zeros(3), step), step, 0, 0.0, 1.0, null, null);
  }
}
