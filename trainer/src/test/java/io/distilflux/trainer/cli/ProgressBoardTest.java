package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.trainer.run.ComputePermits;
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
  void aRunWithoutAMeterIsEstimatedAtItsOwnPace() {
    board.plan(1, 1_000, 1);
    board.progress("run", 100, 1_000, Double.NaN);
    clock.set(10 * SECOND);
    board.progress("run", 500, 1_000, Double.NaN);
    // 400 steps in 10 s, 500 left
    assertTrue(board.summary().endsWith("0 of 1 runs done, 1 training; 50 % of 1000 steps;"
        + " about 13 s left"), board.summary());
  }

  @Test
  void theStepsLeftShareThePermitsAtThePermitTimeEachRunsStepsTake() {
    board.plan(3, 30_000, 2);
    Usage first = meter("first");
    Usage second = meter("second");
    Usage computeOnly = meter("compute only");
    board.progress("first", 1, 10_000, Double.NaN);
    board.progress("second", 1, 10_000, Double.NaN);
    board.progress("compute only", 1, 10_000, Double.NaN);
    clock.set(10 * SECOND);
    // The first two held a permit all along, at 100 steps a second; the third waited in line
    // for 9 s and took 1 000 steps in the second it computed.
    first.set(10, 0);
    second.set(10, 0);
    computeOnly.set(1, 9);
    board.progress("first", 1_001, 10_000, Double.NaN);
    board.progress("second", 1_001, 10_000, Double.NaN);
    board.progress("compute only", 1_001, 10_000, Double.NaN);
    // Permit time left: 2 × 8 999 × 0.01 s + 8 999 × 0.001 s = 189 s, on 2 permits: 94 s.
    // Played forward at their own paces (9, 90 and 90 s alone): 63 s.
    assertTrue(board.summary().endsWith("10 % of 30000 steps; about 1 min 34 s left"),
        board.summary());
  }

  @Test
  void runsThatWaitOnTheBusArePlayedForwardAtTheirOwnPaces() {
    board.plan(2, 11_000, 2);
    Usage computes = meter("computes");
    Usage waitsOnTheBroker = meter("waits on the broker");
    board.progress("computes", 1, 10_000, Double.NaN);
    board.progress("waits on the broker", 1, 1_000, Double.NaN);
    clock.set(10 * SECOND);
    computes.set(10, 0);
    // 10 steps in 10 s, 0.1 s of it computing: it holds no permit while it waits for updates
    waitsOnTheBroker.set(0.1, 0);
    board.progress("computes", 1_001, 10_000, Double.NaN);
    board.progress("waits on the broker", 11, 1_000, Double.NaN);
    // Alone: 8 999 steps at 0.01 s for the one (90 s), 989 at a second each for the other, which
    // goes twice as fast once the first has ended: 90 + 899 / 2 s. The permits: 50 s.
    assertTrue(board.summary().endsWith("about 8 min 59 s left"), board.summary());
  }

  @Test
  void thereIsNoEstimateUntilTheRunsHaveTrainedForSeconds() {
    board.plan(1, 1_000, 1);
    board.progress("run", 1, 1_000, Double.NaN);
    clock.set(2 * SECOND);
    board.progress("run", 10, 1_000, Double.NaN);
    assertTrue(board.summary().endsWith("1 % of 1000 steps; estimating the time left"),
        board.summary());
    clock.set(5 * SECOND);
    board.progress("run", 501, 1_000, Double.NaN);
    assertTrue(board.summary().endsWith("about 5 s left"), board.summary());
  }

  @Test
  void aRunThatHasNotComputedSinceItsFirstStepCountsAtTheMeanPermitTimeOfAStep() {
    board.plan(2, 2_000, 1);
    Usage computing = meter("computing");
    Usage inLine = meter("in line");
    board.progress("computing", 1, 1_000, Double.NaN);
    board.progress("in line", 1, 1_000, Double.NaN);
    clock.set(10 * SECOND);
    computing.set(10, 0);
    inLine.set(0, 10);
    board.progress("computing", 501, 1_000, Double.NaN);
    // 0.02 s of permit a step: 500 steps left of the one and 999 of the other, on one permit
    assertTrue(board.summary().endsWith("about 30 s left"), board.summary());
  }

  @Test
  void figuresAreTakenSinceThePreviousSummaryOnceItIsSecondsOld() {
    board.plan(1, 1_000, 1);
    Usage usage = meter("run");
    board.progress("run", 1, 1_000, Double.NaN);
    clock.set(10 * SECOND);
    usage.set(10, 0);
    board.progress("run", 101, 1_000, Double.NaN);
    // Slow at first (the JIT): 100 steps in 10 s, 900 left: 90 s.
    assertTrue(board.summary().endsWith("about 1 min 30 s left"), board.summary());
    clock.set(15 * SECOND);
    usage.set(15, 0);
    board.progress("run", 601, 1_000, Double.NaN);
    // Then 500 steps in 5 s: 400 left at 100 a second.
    assertTrue(board.summary().endsWith("about 4 s left"), board.summary());
  }

  @Test
  void runsNotYetStartedCountAtTheMeanPermitTimeOfAStep() {
    board.plan(4, 4_000, 1);
    Usage usage = meter("a");
    board.progress("a", 1, 1_000, Double.NaN);
    clock.set(5 * SECOND);
    usage.set(5, 0);
    board.progress("a", 501, 1_000, Double.NaN);
    // 0.01 s a step: 500 steps left of this run and 3 000 of runs not started yet
    assertTrue(board.summary().endsWith("0 of 4 runs done, 1 training; 12 % of 4000 steps;"
        + " about 35 s left"), board.summary());
    clock.set(10 * SECOND);
    usage.set(10, 0);
    board.progress("a", 1_000, 1_000, Double.NaN);
    board.finished("a", 1_000, 1_000, 0.7, null);
    // none in training now: the runs not started count at the last mean
    assertTrue(board.summary().endsWith("1 of 4 runs done, 0 training; 25 % of 4000 steps;"
        + " about 30 s left"), board.summary());
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

  /** A run's permit usage, set by the test, in seconds. */
  private Usage meter(String label) {
    Usage usage = new Usage();
    board.meter(label, usage::read);
    return usage;
  }

  private static final class Usage {
    private volatile ComputePermits.Usage now = new ComputePermits.Usage(0, 0);

    void set(double heldSeconds, double queuedSeconds) {
      now = new ComputePermits.Usage((long) (heldSeconds * SECOND), (long) (queuedSeconds * SECOND));
    }

    ComputePermits.Usage read() {
      return now;
    }
  }
}
