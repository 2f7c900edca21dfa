package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBoardTest {

  private static final long SECOND = 1_000_000_000L;

  private final AtomicLong clock = new AtomicLong();
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final ProgressBoard board = new ProgressBoard(
      new PrintStream(bytes, true, StandardCharsets.UTF_8), "steps", clock::get);

  @Test
  void beforeAnyRunTrainsTheSummarySaysWhatIsBeingDone() {
    board.phase("starting the embedded Kafka broker");
    clock.set(7 * SECOND);
    assertEquals("[7 s] starting the embedded Kafka broker", board.summary());
  }

  @Test
  void aRunLeftAloneIsEstimatedAtItsOwnRateWhenThatIsLongerThanTheJointRate() {
    board.plan(3, 3_000);
    clock.set(10 * SECOND);
    board.progress("fast", 1, 1_000, Double.NaN);
    board.progress("slow", 1, 1_000, Double.NaN);
    clock.set(20 * SECOND);
    board.progress("fast", 1_000, 1_000, Double.NaN);
    board.finished("fast", 1_000, 1_000, 0.7, null);
    board.progress("slow", 100, 1_000, Double.NaN);
    // Together: 1 100 steps in 10 s, 1 900 left: about 17 s. The slow run alone: 100 steps in
    // 10 s, 900 left: 90 s, which is the estimate.
    assertEquals("[20 s] 1 of 3 runs done, 1 training; 36 % of 3000 steps; about 1 min 30 s left",
        board.summary());
  }

  @Test
  void runsThatEndLeaveTheirShareToTheRunsStillTraining() {
    board.plan(2, 2_000);
    board.progress("fast", 1, 1_000, Double.NaN);
    board.progress("slow", 1, 1_000, Double.NaN);
    clock.set(10 * SECOND);
    board.progress("fast", 500, 1_000, Double.NaN);
    board.progress("slow", 100, 1_000, Double.NaN);
    // Alone at their rates: fast 10 s, slow 90 s. Both train the first 10 s; then slow, with
    // the whole machine, goes twice as fast: 80 s of its own pace in 40 s. Together: 50 s.
    assertTrue(board.summary().endsWith("0 of 2 runs done, 2 training; 30 % of 2000 steps;"
        + " about 50 s left"), board.summary());
  }

  @Test
  void aRunWaitingBehindRunsServedFirstIsCountedAtAnEqualShare() {
    board.plan(3, 3_000);
    board.progress("first", 1, 1_000, Double.NaN);
    board.progress("second", 1, 1_000, Double.NaN);
    board.progress("waiting", 1, 1_000, Double.NaN);
    clock.set(10 * SECOND);
    board.progress("first", 500, 1_000, Double.NaN);
    board.progress("second", 500, 1_000, Double.NaN);
    board.progress("waiting", 2, 1_000, Double.NaN);
    // 1 002 steps in 10 s together, an equal share 33 a second; at its own 0.2 a second the
    // waiting run would end 28 min from now. At an equal share, 30 s alone: the first two end
    // after 10 s, then it goes 3× as fast: 10 + 20 / 3 s. The joint rate says 20 s.
    assertTrue(board.summary().endsWith("about 20 s left"), board.summary());
  }

  @Test
  void aRunSlowerThanTheOthersButComputingIsEstimatedAtItsOwnRate() {
    board.plan(2, 3_000);
    board.progress("computes", 1, 2_000, Double.NaN);
    board.progress("waits on the broker", 1, 1_000, Double.NaN);
    clock.set(10 * SECOND);
    board.progress("computes", 1_000, 2_000, Double.NaN);
    board.progress("waits on the broker", 10, 1_000, Double.NaN);
    // 1 a second against 100 is above a hundredth of an equal share: 990 s alone, of which
    // the first 10 s beside the other run, the rest at twice the pace.
    assertTrue(board.summary().endsWith("about 8 min 20 s left"), board.summary());
  }

  @Test
  void thereIsNoEstimateUntilTheRunsHaveTrainedForSeconds() {
    board.plan(1, 1_000);
    board.progress("run", 1, 1_000, Double.NaN);
    clock.set(2 * SECOND);
    board.progress("run", 10, 1_000, Double.NaN);
    assertTrue(board.summary().endsWith("1 % of 1000 steps; estimating the time left"),
        board.summary());
    clock.set(5 * SECOND);
    board.progress("run", 500, 1_000, Double.NaN);
    assertTrue(board.summary().endsWith("about 5 s left"), board.summary());
  }

  @Test
  void theRunsPlayedForwardEndInTheOrderOfTheirTimesAlone() {
    assertEquals(0, ProgressBoard.playedForward(java.util.List.of()), 1e-12);
    assertEquals(30, ProgressBoard.playedForward(java.util.List.of(30.0)), 1e-12);
    // 10 s with three runs; the second's 10 s left alone at 3/2 the pace; the third's 20 at 3×
    assertEquals(10 + 20.0 / 3 + 20.0 / 3,
        ProgressBoard.playedForward(java.util.List.of(40.0, 10.0, 20.0)), 1e-12);
  }

  @Test
  void ratesAreTakenSinceThePreviousSummaryOnceItIsSecondsOld() {
    board.plan(1, 1_000);
    board.progress("run", 1, 1_000, Double.NaN);
    clock.set(10 * SECOND);
    board.progress("run", 100, 1_000, Double.NaN);
    // Slow at first (waiting behind others, the JIT): 100 steps in 10 s, 900 left: 90 s.
    assertTrue(board.summary().endsWith("about 1 min 30 s left"), board.summary());
    clock.set(15 * SECOND);
    board.progress("run", 600, 1_000, Double.NaN);
    // Then 500 steps in 5 s: 400 left at 100 a second.
    assertTrue(board.summary().endsWith("about 4 s left"), board.summary());
  }

  @Test
  void runsNotYetStartedCountInTheJointEstimate() {
    board.plan(4, 4_000);
    board.progress("a", 1, 1_000, Double.NaN);
    clock.set(10 * SECOND);
    board.progress("a", 1_000, 1_000, Double.NaN);
    board.finished("a", 1_000, 1_000, 0.7, null);
    // 1 000 steps in 10 s; 3 000 left in runs that have not started: about 30 s.
    assertTrue(board.summary().endsWith("1 of 4 runs done, 0 training; 25 % of 4000 steps;"
        + " about 30 s left"), board.summary());
  }

  @Test
  void eachRunPrintsABarLineAtEveryTenthAndWhenItEnds() {
    for (long step = 1; step <= 10; step++) {
      board.progress("run", step, 10, Double.NaN);
    }
    board.finished("run", 10, 10, 0.75, null);
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(11, lines.length, String.join("\n", lines));
    assertTrue(lines[0].contains(" 10% 1/10 steps"), lines[0]);
    assertTrue(lines[10].contains("test acc 0.7500 done"), lines[10]);
  }

  @Test
  void durationsAreWrittenInSecondsMinutesOrHours() {
    assertEquals("42 s", ProgressBoard.duration(42.3));
    assertEquals("3 min 05 s", ProgressBoard.duration(185));
    assertEquals("2 h 07 min", ProgressBoard.duration(2 * 3600 + 7 * 60 + 30));
  }
}
