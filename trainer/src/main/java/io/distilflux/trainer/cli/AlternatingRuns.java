package io.distilflux.trainer.cli;

import io.distilflux.pipeline.bench.Stats;
import java.io.OutputStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The shared loop of the A/B run benchmarks: the same experiment with one flag set to value A
 * and to value B, alternating which goes first (so drift in machine load hits both alike),
 * timing only the runs ({@code RunFinished.wallSeconds}), not the broker start or the teacher.
 * {@code --warmup N} pairs run first and are printed but not counted: the JIT needs the first
 * minute or so of a process to compile the code of the broker, the clients and the student,
 * and what a long training job pays is the time after that. Between runs the loop collects
 * garbage and pauses a second, so that no run pays for the closing of the one before. Each run
 * is printed with the time the JIT compilers spent during it, which shows when warm-up is over.
 *
 * @param flag the flag that differs, without dashes
 * @param a its first value
 * @param b its second value
 * @param onlyWithA further flags of the n-th run with value A (n from 0), e.g. where it finds
 *     a broker
 */
record AlternatingRuns(
    String flag, String a, String b, IntFunction<Map<String, String>> onlyWithA) {

  /** The variants differ in {@code flag} only. */
  AlternatingRuns(String flag, String a, String b) {
    this(flag, a, b, n -> Map.of());
  }

  /**
   * The figures of the counted repeats.
   *
   * @param a median wall time with value A
   * @param b median wall time with value B
   * @param pairRatio median over the repeats of A's time divided by B's in the same pair: the
   *     paired figure, which a drift in machine speed between pairs (both runs of a pair share
   *     it) moves less than it moves {@code a / b}
   */
  record Medians(double a, double b, double pairRatio) {

    /** The figures of repeats whose n-th pair took {@code timesA[n]} and {@code timesB[n]}. */
    static Medians of(List<Double> timesA, List<Double> timesB) {
      if (timesA.size() != timesB.size() || timesA.isEmpty()) {
        throw new IllegalArgumentException("need the same number (>= 1) of times of A and B, got "
            + timesA.size() + " and " + timesB.size());
      }
      List<Double> ratios = new ArrayList<>();
      for (int n = 0; n < timesA.size(); n++) {
        ratios.add(timesA.get(n) / timesB.get(n));
      }
      return new Medians(Stats.median(timesA), Stats.median(timesB), Stats.median(ratios));
    }
  }

  /** The pause between runs, after a garbage collection. */
  private static final long SETTLE_MILLIS = 1000;

  /**
   * Parses {@code --repeats N}, {@code --warmup N} and the run flags of {@code args}, runs the
   * variants and prints each run's wall time.
   *
   * @throws IllegalArgumentException when the arguments are not {@code --flag value} pairs or
   *     the counts are not numbers (repeats at least 1, warm-up at least 0)
   */
  Medians measure(String[] args, PrintStream out) {
    int repeats = 3;
    int warmup = 0;
    Map<String, String> settings = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --flag value pairs, got " + Arrays.toString(args));
      }
      String key = args[i].substring(2);
      String value = args[++i];
      if (key.equals("repeats")) {
        repeats = count("repeats", value, 1);
      } else if (key.equals("warmup")) {
        warmup = count("warmup", value, 0);
      } else {
        settings.put(key, value);
      }
    }
    settings.putIfAbsent("metrics-port", "0");
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    List<Double> timesA = new ArrayList<>();
    List<Double> timesB = new ArrayList<>();
    int runsOfA = 0;
    for (int r = -warmup; r < repeats; r++) {
      for (String value : Math.floorMod(r, 2) == 0 ? List.of(a, b) : List.of(b, a)) {
        Map<String, String> run = new LinkedHashMap<>(settings);
        run.put(flag, value);
        if (value.equals(a)) {
          run.putAll(onlyWithA.apply(runsOfA++));
        }
        settle();
        long compilingBefore = compilationMillis();
        ExperimentRunner.Results results =
            new ExperimentRunner(SpecParser.parse(run), quiet, quiet).run();
        long compiling = compilationMillis() - compilingBefore;
        if (!results.allSucceeded()) {
          throw new IllegalStateException("a run with --" + flag + " " + value + " failed: "
              + results.runs().get(0).finished().failure());
        }
        double seconds = results.runs().stream()
            .mapToDouble(result -> result.finished().wallSeconds()).sum();
        if (r >= 0) {
          (value.equals(a) ? timesA : timesB).add(seconds);
        }
        out.printf(Locale.ROOT, "%s %d --%s %-8s run wall time %.2f s (JIT compiling %.1f s)%n",
            r < 0 ? "warm-up" : "repeat", r < 0 ? r + warmup + 1 : r + 1, flag, value, seconds,
            compiling / 1e3);
      }
    }
    return Medians.of(timesA, timesB);
  }

  private static int count(String name, String value, int least) {
    try {
      int n = Integer.parseInt(value);
      if (n >= least) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("--" + name + " must be an integer >= " + least + ", got "
        + value);
  }

  /**
   * Time the JIT compilers spent so far (all compiler threads), or 0 where the JVM does not
   * say: how far from warm the code still is.
   */
  private static long compilationMillis() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported()
        ? jit.getTotalCompilationTime() : 0;
  }

  private static void settle() {
    System.gc();
    try {
      Thread.sleep(SETTLE_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted between runs", e);
    }
  }
}
