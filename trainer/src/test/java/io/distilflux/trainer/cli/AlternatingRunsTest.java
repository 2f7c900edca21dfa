package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.OutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class AlternatingRunsTest {

  private static String rejection(String... args) {
    return assertThrows(IllegalArgumentException.class,
        () -> new AlternatingRuns("transport", "kafka", "direct")
            .measure(args, new PrintStream(OutputStream.nullOutputStream())))
        .getMessage();
  }

  @Test
  void warmupAndRepeatsMustBeCountsBeforeAnythingRuns() {
    assertEquals("--warmup must be an integer >= 0, got -1", rejection("--warmup", "-1"));
    assertEquals("--repeats must be an integer >= 1, got 0", rejection("--repeats", "0"));
    assertEquals("--repeats must be an integer >= 1, got many", rejection("--repeats", "many"));
  }

  @Test
  void argumentsMustComeAsFlagValuePairs() {
    assertEquals("expected --flag value pairs, got [--epochs]", rejection("--epochs"));
  }
}
