package io.distilflux.trainer.cli;

import java.io.PrintStream;
import java.time.Duration;
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
   * left at the rate all runs have made together so far, and the slowest run in training at its
   * own rate (runs that wait on the bus all the time finish last whatever the others do).
   */
  String summary() {
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
    double slowest = 0;
    for (RunProgress run : runs.values()) {
      long runDone = run.done;
      stepsDone += runDone;
      knownSteps += run.total;
      firstStart = Math.min(firstStart, run.startNanos);
      if (run.finished) {
        done++;
      } else {
        training++;
        double seconds = (now - run.startNanos) / 1e9;
        if (runDone > 0 && seconds > 0) {
          slowest = Math.max(slowest, (run.total - runDone) * seconds / runDone);
        }
      }
    }
    int runCount = Math.max(plannedRuns, runs.size());
    long totalSteps = Math.max(plannedSteps, knownSteps);
    double trainingSeconds = (now - firstStart) / 1e9;
    String left = "estimating the time left";
    if (stepsDone > 0 && trainingSeconds > 0) {
      double together = (totalSteps - stepsDone) * trainingSeconds / stepsDone;
      left = "about " + duration(Math.max(together, slowest)) + " left";
    }
    return String.format(Locale.ROOT, "%s%d of %d runs done, %d training; %d %% of %d %s; %s",
        elapsed, done, runCount, training,
        totalSteps == 0 ? 100 : (int) (100 * stepsDone / totalSteps), totalSteps, unit, left);
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

    RunProgress(long total, long startNanos) {
      this.total = total;
      this.startNanos = startNanos;
    }
  }
}
