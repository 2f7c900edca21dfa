package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.InputFile;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.data.Checksums;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputSourcesTest {

  @Test
  void aResumedRunRefusesUserFilesThatChangedOrWentAway(@TempDir Path dir) throws IOException {
    Path train = Files.writeString(dir.resolve("train.csv"), "a,label\n1,0\n2,1\n");
    RunConfig config = config(new InputFile("train", train.toString(),
        Checksums.hex(train, "SHA-256")));
    InputSources.verify(config);

    Files.writeString(train, "a,label\n1,1\n2,0\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InputSources.verify(config));
    assertTrue(e.getMessage().startsWith("the train file " + train
        + " changed since the run started (SHA-256 "), e.getMessage());

    Files.delete(train);
    e = assertThrows(IllegalArgumentException.class, () -> InputSources.verify(config));
    assertEquals("the train file " + train + " of this run is gone", e.getMessage());
  }

  private static RunConfig config(InputFile file) {
    return new RunConfig(RunConfig.DatasetKind.CSV, "", RunConfig.Mode.FIXED, 1, 1, 10, 0,
        "mnist-mlp", "mnist-mlp-small", RunConfig.OptimizerKind.ADAM, 1e-3,
        RunConfig.OptimizerKind.SGD, 1, 1, 10, 2, new Unconstrained(0, 0, 0), false, 10, 0, false,
        null, RunConfig.Divergence.FORWARD, List.of(file));
  }
}
