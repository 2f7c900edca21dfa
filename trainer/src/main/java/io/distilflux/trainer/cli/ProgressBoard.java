package io.distilflux.trainer.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/**
 * A text progress bar per run, and a summary line of the whole experiment. Runs train
 * concurrently, so each run prints a bar line whenever it crosses another tenth of its steps (and
 * when it ends) rather than redrawing one line. The summary ({@link #summary()}) tells what is
 * being done before the runs start, then how many runs are done and in training, the share of
 * the steps done and an estimate of the time left; {@link #tickEvery} prints it periodically.
 */
final class ProgressBoard {

  private static final int WIDTH = 20;

  private final PrintStream out;
  private final String unit;
  private final LongSupplier nanoClock;
  private final long startNanos;
  private final Map<String, RunProgress> runs = new ConcurrentHashMap<>();
  private volatile String phase = "starting";
  private volatile int plannedRuns;
  private volatile long plannedSteps;
  /** The previous summary's sample of all runs together. */
  private final RunProgress whole = new RunProgress(0, 0);
  /** Rates are taken over at least this long, so a tick or two of noise does not swing them. */
  private static final long RATE_WINDOW_NANOS = 4_000_000_000L;
  /**
   * A run at 1 / this of an equal share of the training runs' joint rate or less is waiting for a
   * compute permit, not slow: a run that waits on the broker every step still makes a few
   * percent of the pace of runs that only compute.
   */
  private static final double WAITING_SHARE = 100;

  ProgressBoard(PrintStream out) {
    this(out, "steps");
  }

  /** A board counting {@code unit} (steps of a run, files of a report). */
  ProgressBoard(PrintStream out, String unit) {
    this(out, unit, System::nanoTime);
  }

  /** A board reading the time from {@code nanoClock} (tests). */
  ProgressBoard(PrintStream out, String unit, LongSupplier nanoClock) {
    this.out = out;
    this.unit = unit;
    this.nanoClock = nanoClock;
    this.startNanos = nanoClock.getAsLong();
  }

  /** What the experiment is doing before its runs train, for the summary. */
  void phase(String what) {
    phase = what;
  }

  /** The whole experiment: how many runs, and their steps together. */
  void plan(int runCount, long totalSteps) {
    plannedRuns = runCount;
    plannedSteps = totalSteps;
  }

  /** Reports that {@code label} has trained {@code done} of {@code total} steps. */
  void progress(String label, long done, long total, double lastAccuracy) {
    RunProgress run = run(label, total);
    run.done = done;
    int tenths = total == 0 ? 10 : (int) (10 * done / total);
    if (tenths > run.printedTenths) {
      run.printedTenths = tenths;
      print(label, done, total, lastAccuracy, "");
    }
  }

  /** Reports the end of a run. */
  void finished(String label, long done, long total, double accuracy, String failure) {
    RunProgress run = run(label, total);
    run.done = Math.max(run.done, Math.min(done, total));
    run.finished = true;
    print(label, done, total, accuracy, failure == null ? " done" : " FAILED: " + failure);
  }

  /** Prints {@link #summary()} every {@code period} on {@code scheduler} until disposed. */
  Disposable tickEvery(Duration period, Scheduler scheduler) {
    return Flux.interval(period, period, scheduler).subscribe(tick -> {
      synchronized (out) {
        out.println(summary());
      }
    });
  }

  /**
   * The experiment's state in one line, e.g. {@code "[18 s] 3 of 25 runs done, 22 training; 41 %
   * of 500000 steps; about 26 s left"}. The time left is the longer of two estimates: the steps
   * left at the rate all runs have made together (it counts runs not started yet), and the runs
   * in training played forward at their own rates, each run that finishes leaving its share of
   * the machine to the others ({@link #playedForward}): runs that wait behind busy cores speed
   * up when the others end; a run at a hundredth of an equal share of the training runs' joint
   * rate or less is counted at that share (it waits for a compute permit behind runs served
   * first, see ComputePermits, and gets its share once they end). Rates are taken since the
   * previous summary when it is at least
   * {@link #RATE_WINDOW_NANOS} old (runs speed up when others finish and the JIT is done), else
   * since the start; until the runs have trained that long there is no estimate.
   */
  synchronized String summary() {
    long now = nanoClock.getAsLong();
    String elapsed = "[" + duration((now - startNanos) / 1e9) + "] ";
    if (runs.isEmpty()) {
      return elapsed + phase;
    }
    int done = 0;
    int training = 0;
    long stepsDone = 0;
    long knownSteps = 0;
    long firstStart = Long.MAX_VALUE;
    List<Pace> paces = new ArrayList<>();
    boolean everyRateKnown = true;
    for (RunProgress run : runs.values()) {
      long runDone = run.done;
      stepsDone += runDone;
      knownSteps += run.total;
      firstStart = Math.min(firstStart, run.startNanos);
      if (run.finished) {
        done++;
      } else {
        training++;
        double rate = rate(runDone, now, run.startNanos, run);
        if (rate > 0) {
          paces.add(new Pace(run.total - runDone, rate));
        } else {
          everyRateKnown = false;
        }
      }
      run.sample(runDone, now);
    }
    int runCount = Math.max(plannedRuns, runs.size());
    long totalSteps = Math.max(plannedSteps, knownSteps);
    double together = rate(stepsDone, now, firstStart, whole);
    whole.sample(stepsDone, now);
    String left = "estimating the time left";
    if (together > 0 && everyRateKnown && now - firstStart >= RATE_WINDOW_NANOS) {
      double equalShare =
          paces.stream().mapToDouble(Pace::rate).sum() / Math.max(1, paces.size());
      List<Double> alone = new ArrayList<>();
      for (Pace pace : paces) {
        // a waiting run's trickle would put its end hours away
        double rate = pace.rate() <= equalShare / WAITING_SHARE ? equalShare : pace.rate();
        alone.add(pace.stepsLeft() / rate);
      }
      double seconds = Math.max((totalSteps - stepsDone) / together, playedForward(alone));
      left = "about " + duration(seconds) + " left";
    }
    return String.format(Locale.ROOT, "%s%d of %d runs done, %d training; %d %% of %d %s; %s",
        elapsed, done, runCount, training,
        totalSteps == 0 ? 100 : (int) (100 * stepsDone / totalSteps), totalSteps, unit, left);
  }

  /**
   * The time until the last of the runs in training ends, given each run's time left at its
   * current rate: while k of the n runs have ended, the others go n / (n − k) times as fast,
   * as if each had an equal share of the machine and the shares of ended runs were split among
   * the rest. Since every rate grows by the same factor, the runs end in the order of their
   * times alone.
   */
  static double playedForward(List<Double> timesAlone) {
    List<Double> sorted = new ArrayList<>(timesAlone);
    Collections.sort(sorted);
    int n = sorted.size();
    double seconds = 0;
    double reached = 0;
    for (int k = 0; k < n; k++) {
      seconds += (sorted.get(k) - reached) * (n - k) / n;
      reached = sorted.get(k);
    }
    return seconds;
  }

  /** Steps a second since the previous sample if it is old enough, else since {@code start}. */
  private static double rate(long done, long now, long start, RunProgress at) {
    if (at.sampleNanos != Long.MIN_VALUE && now - at.sampleNanos >= RATE_WINDOW_NANOS
        && done > at.sampleDone) {
      return (done - at.sampleDone) / ((now - at.sampleNanos) / 1e9);
    }
    double seconds = (now - start) / 1e9;
    return seconds > 0 && done > 0 ? done / seconds : 0;
  }

  private RunProgress run(String label, long total) {
    RunProgress run = runs.get(label);
    return run != null ? run
        : runs.computeIfAbsent(label, l -> new RunProgress(total, nanoClock.getAsLong()));
  }

  private void print(String label, long done, long total, double accuracy, String suffix) {
    int filled = total == 0 ? WIDTH : (int) (WIDTH * Math.min(done, total) / total);
    String bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
    String acc = Double.isNaN(accuracy) ? "" : String.format("  test acc %.4f", accuracy);
    synchronized (out) {
      out.printf("%-34s [%s] %3d%% %d/%d %s%s%s%n", label, bar,
          total == 0 ? 100 : (int) (100 * done / total), done, total, unit, acc, suffix);
    }
  }

  /** "42 s", "3 min 05 s", "2 h 07 min". */
  static String duration(double seconds) {
    long s = Math.round(Math.max(0, seconds));
    if (s < 60) {
      return s + " s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
  }

  /** One run's progress; written by the run's own thread, read by the summary. */
  private static final class RunProgress {
    final long total;
    final long startNanos;
    volatile long done;
    volatile boolean finished;
    int printedTenths = -1;
    /** The summary's previous sample of {@link #done}; summary only. */
    long sampleDone;
    long sampleNanos = Long.MIN_VALUE;

    RunProgress(long total, long startNanos) {
      this.total = total;
      this.startNanos = startNanos;
    }

    /** Keeps {@code value} as the sample unless the one kept is younger than the window. */
    void sample(long value, long nanos) {
      if (sampleNanos == Long.MIN_VALUE || nanos - sampleNanos >= RATE_WINDOW_NANOS) {
        sampleDone = value;
        sampleNanos = nanos;
      }
    }
  }

  /** A run in training: the steps it has left and its recent steps a second. */
  private record Pace(double stepsLeft, double rate) {}
}
