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
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/**
 * The shared loop of the A/B run benchmarks: the same experiment with one flag set to value A
 * and to value B, alternating which goes first (so drift in machine load hits both alike),
 * timing only the runs ({@code RunFinished.wallSeconds}), not the broker start or the teacher.
 * {@code --warmup N} pairs run first and are printed but not counted: the JIT needs the first
 * minutes of a process to compile the code of the broker, the clients and the student, and what
 * a long training job pays is the time after that; {@code --warmup-jit S} goes on warming up
 * until that is over (see {@link WarmUp}). Between runs the loop collects
 * garbage and pauses a second, so that no run pays for the closing of the one before. Each run
 * is printed with the time the JIT compilers spent during it, which shows when warm-up is over.
 *
 * @param flag the flag that differs, without dashes
 * @param a its first value
 * @param b its second value
 * @param onlyWithA further flags of the n-th run with value A (n from 0), e.g. where it finds
 *     a broker
 * @param count a running total printed with each run as the amount the run added to it, e.g.
 *     the requests a broker handled; empty for none
 */
record AlternatingRuns(
    String flag, String a, String b, IntFunction<Map<String, String>> onlyWithA,
    Optional<Count> count) {

  /** The variants differ in {@code flag} only. */
  AlternatingRuns(String flag, String a, String b) {
    this(flag, a, b, n -> Map.of());
  }

  /** The variants differ in {@code flag} and the further flags of A's runs. */
  AlternatingRuns(String flag, String a, String b, IntFunction<Map<String, String>> onlyWithA) {
    this(flag, a, b, onlyWithA, Optional.empty());
  }

  /**
   * A running total of the process, read before and after each run.
   *
   * @param label what it counts, as printed
   * @param total its value now
   */
  record Count(String label, LongSupplier total) {}

  /** The same benchmark, printing with each run what it added to {@code count}. */
  AlternatingRuns counting(Count value) {
    return new AlternatingRuns(flag, a, b, onlyWithA, Optional.of(value));
  }

  /**
   * The figures of the counted repeats.
   *
   * @param a median wall time with value A
   * @param b median wall time with value B
   * @param pairRatio median over the repeats of A's time divided by B's in the same pair: the
   *     paired figure, which a drift in machine speed between pairs (both runs of a pair share
   *     it) moves less than it moves {@code a / b}
   * @param pairRatioInterval a distribution-free {@value #CONFIDENCE} confidence interval of
   *     the median pair ratio ({@link Stats#medianInterval}); empty with fewer than 6 repeats
   */
  record Medians(double a, double b, double pairRatio,
      Optional<Stats.Interval> pairRatioInterval) {

    /** The confidence of {@link #pairRatioInterval()}. */
    static final double CONFIDENCE = 0.95;

    /** The figures of repeats whose n-th pair took {@code timesA[n]} and {@code timesB[n]}. */
    static Medians of(List<Double> timesA, List<Double> timesB) {
      if (timesA.size() != timesB.size() || timesA.isEmpty()) {
        throw new IllegalArgumentException("need the same number (>= 1) of times of A and B, got "
            + timesA.size() + " and " + timesB.size());
      }
      double[] ratios = new double[timesA.size()];
      for (int n = 0; n < ratios.length; n++) {
        ratios[n] = timesA.get(n) / timesB.get(n);
      }
      return new Medians(Stats.median(timesA), Stats.median(timesB), Stats.median(ratios),
          Stats.medianInterval(ratios, CONFIDENCE));
    }

    /**
     * The closing line of a benchmark: both medians, their ratio, the median pair ratio and its
     * interval, e.g. {@code "median wall time: kafka 14.53 s, direct 15.60 s; ratio
     * kafka/direct of the medians 0.932, median of the pairs' ratios 1.016 (95 % interval
     * 0.846–1.134 over 10 pairs)"}.
     */
    String summary(String nameA, String nameB) {
      String interval = pairRatioInterval
          .map(i -> String.format(Locale.ROOT, "%.0f %% interval %.3f–%.3f", 100 * i.coverage(),
              i.low(), i.high()))
          .orElse(String.format(Locale.ROOT, "no %.0f %% interval below 6 pairs",
              100 * CONFIDENCE));
      return String.format(Locale.ROOT, "median wall time: %s %.2f s, %s %.2f s; ratio %s/%s of"
          + " the medians %.3f, median of the pairs' ratios %.3f (%s)", nameA, a, nameB, b, nameA,
          nameB, a / b, pairRatio, interval);
    }
  }

  /** Warm-up pairs at most, by default, while the JIT is still busy. */
  static final int DEFAULT_MAX_WARMUP = 30;
  /** The pause between runs, after a garbage collection. */
  private static final long SETTLE_MILLIS = 1000;

  /**
   * Parses {@code --repeats N}, {@code --warmup N}, {@code --warmup-jit S}, {@code --max-warmup
   * N} and the run flags of {@code args}, runs the variants and prints each run's wall time.
   * With {@code --warmup-jit S}, warm-up pairs go on after the {@code --warmup} ones until
   * neither run of a pair spent more than S seconds compiling, at most {@code --max-warmup}
   * pairs in all (default {@value #DEFAULT_MAX_WARMUP}): see {@link WarmUp}.
   *
   * @throws IllegalArgumentException when the arguments are not {@code --flag value} pairs,
   *     the counts are not numbers (repeats at least 1, warm-up at least 0), or {@code
   *     --max-warmup} comes without {@code --warmup-jit}
   */
  Medians measure(String[] args, PrintStream out) {
    int repeats = 3;
    int warmup = 0;
    double warmupJit = -1;
    Integer maxWarmup = null;
    Map<String, String> settings = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --flag value pairs, got " + Arrays.toString(args));
      }
      String key = args[i].substring(2);
      String value = args[++i];
      switch (key) {
        case "repeats" -> repeats = count("repeats", value, 1);
        case "warmup" -> warmup = count("warmup", value, 0);
        case "max-warmup" -> maxWarmup = count("max-warmup", value, 0);
        case "warmup-jit" -> warmupJit = seconds("warmup-jit", value);
        default -> settings.put(key, value);
      }
    }
    if (maxWarmup != null && warmupJit < 0) {
      throw new IllegalArgumentException("--max-warmup only applies with --warmup-jit");
    }
    WarmUp warmUp = warmupJit < 0
        ? WarmUp.fixed(warmup)
        : new WarmUp(warmup, warmupJit, maxWarmup == null
            ? Math.max(warmup, DEFAULT_MAX_WARMUP) : maxWarmup);
    settings.putIfAbsent("metrics-port", "0");
    List<Double> timesA = new ArrayList<>();
    List<Double> timesB = new ArrayList<>();
    int runsOfA = 0;
    int warmed = 0;
    double lastPairJit = 0;
    while (warmUp.another(warmed, lastPairJit)) {
      lastPairJit = 0;
      for (String value : order(warmed)) {
        Run run = run(settings, value, value.equals(a) ? runsOfA++ : -1);
        out.println(run.describe("warm-up " + (warmed + 1), flag));
        lastPairJit = Math.max(lastPairJit, run.jitSeconds());
      }
      warmed++;
    }
    if (warmUp.waitsForJit() && lastPairJit > warmUp.jitSeconds()) {
      out.printf(Locale.ROOT, "the JIT still compiled %.1f s in the last of %d warm-up pairs;"
          + " counting the repeats anyway%n", lastPairJit, warmed);
    }
    for (int r = 0; r < repeats; r++) {
      for (String value : order(warmed + r)) {
        Run run = run(settings, value, value.equals(a) ? runsOfA++ : -1);
        out.println(run.describe("repeat " + (r + 1), flag));
        (value.equals(a) ? timesA : timesB).add(run.wallSeconds());
      }
    }
    return Medians.of(timesA, timesB);
  }

  /** Which variant goes first in the n-th pair (from 0): they take turns. */
  private List<String> order(int pair) {
    return pair % 2 == 0 ? List.of(a, b) : List.of(b, a);
  }

  /** Runs the variant {@code value} once; {@code nthOfA} numbers the runs of A, from 0. */
  private Run run(Map<String, String> settings, String value, int nthOfA) {
    Map<String, String> flags = new LinkedHashMap<>(settings);
    flags.put(flag, value);
    if (value.equals(a)) {
      flags.putAll(onlyWithA.apply(nthOfA));
    }
    settle();
    long compilingBefore = compilationMillis();
    long cpuBefore = processCpuNanos();
    long countBefore = count.map(c -> c.total().getAsLong()).orElse(0L);
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    ExperimentRunner.Results results =
        new ExperimentRunner(RunOptions.parse(flags), quiet, quiet).run();
    long compiling = compilationMillis() - compilingBefore;
    long cpu = processCpuNanos() - cpuBefore;
    OptionalLong counted = count.isEmpty() ? OptionalLong.empty()
        : OptionalLong.of(count.get().total().getAsLong() - countBefore);
    if (!results.allSucceeded()) {
      throw new IllegalStateException("a run with --" + flag + " " + value + " failed: "
          + results.runs().get(0).finished().failure());
    }
    return new Run(value,
        results.runs().stream().mapToDouble(result -> result.finished().wallSeconds()).sum(),
        results.runs().stream()
            .mapToDouble(result -> result.finished().hypergradientSeconds()).sum(),
        cpu / 1e9, compiling / 1e3, count.map(Count::label).orElse(""), counted);
  }

  /**
   * What one run of the benchmark took.
   *
   * @param value the variant's value of the flag
   * @param wallSeconds the runs' wall time ({@code RunFinished.wallSeconds}), the measured figure
   * @param hyperGradientSeconds of which computing hypergradient steps
   * @param cpuSeconds CPU time of the whole process meanwhile (all threads, an in-process
   *     broker's included)
   * @param jitSeconds time the JIT compilers spent meanwhile
   * @param countLabel what {@code counted} counts
   * @param counted what the run added to the benchmark's {@link Count}, if it has one
   */
  private record Run(String value, double wallSeconds, double hyperGradientSeconds,
      double cpuSeconds, double jitSeconds, String countLabel, OptionalLong counted) {

    String describe(String label, String flag) {
      return String.format(Locale.ROOT, "%s --%s %-8s run wall time %.2f s (hypergradient steps"
          + " %.2f s; process CPU %.1f s, JIT compiling %.1f s%s)", label, flag, value,
          wallSeconds, hyperGradientSeconds, cpuSeconds, jitSeconds,
          counted.isPresent() ? "; " + countLabel + " " + counted.getAsLong() : "");
    }
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

  private static double seconds(String name, String value) {
    try {
      double seconds = Double.parseDouble(value);
      if (seconds >= 0 && Double.isFinite(seconds)) {
        return seconds;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("--" + name + " must be a number of seconds >= 0, got "
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

  /**
   * CPU time of the whole process so far (all threads, an in-process broker's included), or 0
   * where the JVM does not say: what the run cost the cores, apart from what it waited for.
   */
  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os
        ? Math.max(0, os.getProcessCpuTime()) : 0;
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
