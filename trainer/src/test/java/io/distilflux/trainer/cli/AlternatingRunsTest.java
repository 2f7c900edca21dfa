package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
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
    assertEquals("--warmup-jit must be a number of seconds >= 0, got -2",
        rejection("--warmup-jit", "-2"));
    assertEquals("--warmup-jit must be a number of seconds >= 0, got NaN",
        rejection("--warmup-jit", "NaN"));
    assertEquals("need 0 <= warm-up pairs <= max warm-up pairs, got 5 and 3",
        rejection("--warmup", "5", "--warmup-jit", "1", "--max-warmup", "3"));
    assertEquals("--max-warmup only applies with --warmup-jit", rejection("--max-warmup", "3"));
  }

  @Test
  void argumentsMustComeAsFlagValuePairs() {
    assertEquals("expected --flag value pairs, got [--epochs]", rejection("--epochs"));
  }

  @Test
  void pairRatioIsTheMedianOfEachPairsOwnRatio() {
    // the machine got twice as fast after the first pair: both runs of a pair share it
    AlternatingRuns.Medians medians =
        AlternatingRuns.Medians.of(List.of(11.0, 5.5, 6.0), List.of(10.0, 5.0, 5.0));
    assertEquals(6.0, medians.a());
    assertEquals(5.0, medians.b());
    assertEquals(1.1, medians.pairRatio(), 1e-12);
  }

  @Test
  void pairRatioNeedsMatchingPairs() {
    assertThrows(IllegalArgumentException.class,
        () -> AlternatingRuns.Medians.of(List.of(1.0), List.of(1.0, 2.0)));
    assertThrows(IllegalArgumentException.class,
        () -> AlternatingRuns.Medians.of(List.of(), List.of()));
  }
}
