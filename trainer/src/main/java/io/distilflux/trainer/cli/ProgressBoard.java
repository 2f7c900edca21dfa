package io.distilflux.trainer.cli;

import io.distilflux.trainer.run.ComputePermits;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
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
  private final Map<String, Supplier<ComputePermits.Usage>> meters = new ConcurrentHashMap<>();
  private volatile String phase = "starting";
  private volatile int plannedRuns;
  private volatile long plannedSteps;
  private volatile int permits = Integer.MAX_VALUE;
  /** The last mean permit time a step of a run in training took, in seconds; summary only. */
  private double lastMeanCost = Double.NaN;
  /** Rates are taken over at least this long, so a tick or two of noise does not swing them. */
  private static final long RATE_WINDOW_NANOS = 4_000_000_000L;

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

  /**
   * The whole experiment: how many runs, their steps together, and how many of them compute at
   * once (the compute permits, see ComputePermits).
   */
  void plan(int runCount, long totalSteps, int computingAtOnce) {
    if (computingAtOnce < 1) {
      throw new IllegalArgumentException("computingAtOnce must be at least 1");
    }
    plannedRuns = runCount;
    plannedSteps = totalSteps;
    permits = computingAtOnce;
  }

  /**
   * Where to read how long run {@code label} has held a compute permit and waited for one. A run
   * without one is taken to compute all the time it trains.
   */
  void meter(String label, Supplier<ComputePermits.Usage> usage) {
    meters.put(label, usage);
  }

  /** Reports that {@code label} has trained {@code done} of {@code total} steps. */
  void progress(String label, long done, long total, double lastAccuracy) {
    RunProgress run = run(label, total, done);
    run.done = done;
    int tenths = total == 0 ? 10 : (int) (10 * done / total);
    if (tenths > run.printedTenths) {
      run.printedTenths = tenths;
      print(label, done, total, lastAccuracy, "");
    }
  }

  /** Reports the end of a run. */
  void finished(String label, long done, long total, double accuracy, String failure) {
    RunProgress run = run(label, total, done);
    run.done = Math.max(run.done, Math.min(done, total));
    run.finished = true;
    meters.remove(label);
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
   * of 500000 steps; about 26 s left"}. The time left is the longer of two estimates. The cores:
   * each run's steps left times the permit time a step of it takes (see {@link #meter}), summed
   * over the runs in training and shared among the permits; the runs not started, and those that
   * have not computed since their first step, count at the mean permit time of a step of the
   * runs in training. The runs played forward ({@link #playedForward}): each run's steps left at
   * its own pace when it does not wait in line for a permit (its computing and its waits on the
   * bus), the runs that end leaving their share to the others. A run waiting behind runs served
   * first thus counts at the speed it computes when it has a permit, not at the trickle it makes
   * meanwhile. Each figure is taken since the previous summary when that is
   * at least {@link #RATE_WINDOW_NANOS} old (runs speed up when others finish and the JIT is
   * done), else since the run's first step; until the runs have trained that long, or while no
   * run in training has computed since its first step, there is no estimate.
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
    double permitSecondsLeft = 0;
    List<Double> alone = new ArrayList<>();
    double costs = 0;
    int priced = 0;
    long unpricedSteps = 0;
    for (Map.Entry<String, RunProgress> entry : runs.entrySet()) {
      RunProgress run = entry.getValue();
      long runDone = run.done;
      stepsDone += runDone;
      knownSteps += run.total;
      firstStart = Math.min(firstStart, run.startNanos);
      if (run.finished) {
        done++;
        continue;
      }
      training++;
      Supplier<ComputePermits.Usage> meter = meters.get(entry.getKey());
      // a run without a meter computes whenever it trains, and never waits in line
      ComputePermits.Usage usage = meter != null ? meter.get()
          : new ComputePermits.Usage(now - run.startNanos, 0);
      Pace pace = run.pace(runDone, now, usage);
      long left = run.total - runDone;
      if (pace == null) {
        unpricedSteps += left;
      } else {
        permitSecondsLeft += left * pace.permitSeconds();
        alone.add(left * pace.seconds());
        costs += pace.permitSeconds();
        priced++;
      }
      run.sample(runDone, now, usage);
    }
    int runCount = Math.max(plannedRuns, runs.size());
    long totalSteps = Math.max(plannedSteps, knownSteps);
    if (priced > 0) {
      lastMeanCost = costs / priced;
    }
    // Runs that have not started, or not computed since their first step, at the mean cost.
    long unpriced = unpricedSteps + Math.max(0, totalSteps - knownSteps);
    String left = "estimating the time left";
    if ((unpriced == 0 || !Double.isNaN(lastMeanCost))
        && now - firstStart >= RATE_WINDOW_NANOS && (priced > 0 || training == 0)) {
      double permitSeconds = permitSecondsLeft + (unpriced == 0 ? 0 : unpriced * lastMeanCost);
      double cores = permitSeconds / Math.max(1, Math.min(permits, runCount - done));
      left = "about " + duration(Math.max(cores, playedForward(alone))) + " left";
    }
    return String.format(Locale.ROOT, "%s%d of %d runs done, %d training; %d %% of %d %s; %s",
        elapsed, done, runCount, training,
        totalSteps == 0 ? 100 : (int) (100 * stepsDone / totalSteps), totalSteps, unit, left);
  }

  /**
   * The time until the last of the runs in training ends, given each run's time left at its
   * own pace: while k of the n runs have ended, the others go n / (n − k) times as fast, as if
   * each had an equal share of the machine and the shares of ended runs went to the rest (runs
   * that wait on the bus get their round trips back sooner when fewer runs load the cores).
   * Since every pace grows by the same factor, the runs end in the order of their times alone.
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

  private RunProgress run(String label, long total, long done) {
    RunProgress run = runs.get(label);
    return run != null ? run
        : runs.computeIfAbsent(label, l -> new RunProgress(total, done, nanoClock.getAsLong()));
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
    /** The steps done when the board first heard of the run (a resumed run starts late). */
    final long startDone;
    final long startNanos;
    volatile long done;
    volatile boolean finished;
    int printedTenths = -1;
    /** The summary's previous sample of {@link #done} and of the permit usage; summary only. */
    long sampleDone;
    long sampleNanos = Long.MIN_VALUE;
    ComputePermits.Usage sampleUsage;

    RunProgress(long total, long startDone, long startNanos) {
      this.total = total;
      this.startDone = startDone;
      this.startNanos = startNanos;
    }

    /**
     * The run's pace since the sample if that is old enough and the run has stepped since, else
     * since its first step; null before it has stepped and held a permit.
     */
    Pace pace(long done, long now, ComputePermits.Usage usage) {
      if (sampleNanos != Long.MIN_VALUE && now - sampleNanos >= RATE_WINDOW_NANOS
          && done > sampleDone && usage.heldNanos() > sampleUsage.heldNanos()) {
        return Pace.of(done - sampleDone, now - sampleNanos,
            usage.heldNanos() - sampleUsage.heldNanos(),
            usage.queuedNanos() - sampleUsage.queuedNanos());
      }
      if (done <= startDone || usage.heldNanos() <= 0) {
        return null;
      }
      return Pace.of(done - startDone, now - startNanos, usage.heldNanos(), usage.queuedNanos());
    }

    /** Keeps the sample unless the one kept is younger than the window. */
    void sample(long value, long nanos, ComputePermits.Usage usage) {
      if (sampleNanos == Long.MIN_VALUE || nanos - sampleNanos >= RATE_WINDOW_NANOS) {
        sampleDone = value;
        sampleNanos = nanos;
        sampleUsage = usage;
      }
    }
  }

  /**
   * A run's cost and speed: the permit time a step takes, and the time a step takes when the
   * run does not wait in line (its computing and its waits on the bus), in seconds.
   */
  private record Pace(double permitSeconds, double seconds) {
    static Pace of(long steps, long wallNanos, long heldNanos, long queuedNanos) {
      return new Pace(heldNanos / 1e9 / steps, Math.max(0, wallNanos - queuedNanos) / 1e9 / steps);
    }
  }
}
