package io.distilflux.trainer.cli;

import io.distilflux.pipeline.bench.Stats;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The shared loop of the A/B run benchmarks: the same experiment with one flag set to value A
 * and to value B, alternating which goes first (so drift in machine load hits both alike),
 * timing only the runs ({@code RunFinished.wallSeconds}), not the broker start or the teacher.
 *
 * @param flag the flag that differs, without dashes
 * @param a its first value
 * @param b its second value
 */
record AlternatingRuns(String flag, String a, String b) {

  /** Median wall times of the two variants over the repeats. */
  record Medians(double a, double b) {}

  /**
   * Parses {@code --repeats N} and the run flags of {@code args}, runs the variants and prints
   * each run's wall time.
   *
   * @throws IllegalArgumentException when the arguments are not {@code --flag value} pairs
   */
  Medians measure(String[] args, PrintStream out) {
    int repeats = 3;
    Map<String, String> settings = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --flag value pairs, got " + Arrays.toString(args));
      }
      String key = args[i].substring(2);
      String value = args[++i];
      if (key.equals("repeats")) {
        repeats = Integer.parseInt(value);
      } else {
        settings.put(key, value);
      }
    }
    settings.putIfAbsent("metrics-port", "0");
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    List<Double> timesA = new ArrayList<>();
    List<Double> timesB = new ArrayList<>();
    for (int r = 0; r < repeats; r++) {
      for (String value : r % 2 == 0 ? List.of(a, b) : List.of(b, a)) {
        Map<String, String> run = new LinkedHashMap<>(settings);
        run.put(flag, value);
        ExperimentRunner.Results results =
            new ExperimentRunner(SpecParser.parse(run), quiet, quiet).run();
        if (!results.allSucceeded()) {
          throw new IllegalStateException("a run with --" + flag + " " + value + " failed: "
              + results.runs().get(0).finished().failure());
        }
        double seconds = results.runs().stream()
            .mapToDouble(result -> result.finished().wallSeconds()).sum();
        (value.equals(a) ? timesA : timesB).add(seconds);
        out.printf(Locale.ROOT, "repeat %d --%s %-8s run wall time %.2f s%n", r + 1, flag, value,
            seconds);
      }
    }
    return new Medians(Stats.median(timesA), Stats.median(timesB));
  }
}
