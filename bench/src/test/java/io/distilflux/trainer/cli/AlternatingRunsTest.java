package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    assertTrue(medians.pairRatioInterval().isEmpty(), "three pairs give no 95 % interval");
    assertTrue(medians.summary("kafka", "direct").endsWith(
        "ratio kafka/direct of the medians 1.200, median of the pairs' ratios 1.100"
            + " (no 95 % interval below 6 pairs)"), medians.summary("kafka", "direct"));
  }

  @Test
  void summaryGivesTheIntervalOfTheMedianPairRatio() {
    // pair ratios 0.90, 0.95, 1.00, 1.05, 1.10, 1.20: six pairs, so the extremes, at 96.9 %
    AlternatingRuns.Medians medians = AlternatingRuns.Medians.of(
        List.of(9.0, 9.5, 10.0, 10.5, 11.0, 12.0), List.of(10.0, 10.0, 10.0, 10.0, 10.0, 10.0));
    assertEquals("median wall time: kafka 10.25 s, direct 10.00 s; ratio kafka/direct of the"
        + " medians 1.025, median of the pairs' ratios 1.025 (97 % interval 0.900–1.200)",
        medians.summary("kafka", "direct"));
  }

  @Test
  void pairRatioNeedsMatchingPairs() {
    assertThrows(IllegalArgumentException.class,
        () -> AlternatingRuns.Medians.of(List.of(1.0), List.of(1.0, 2.0)));
    assertThrows(IllegalArgumentException.class,
        () -> AlternatingRuns.Medians.of(List.of(), List.of()));
  }
}
