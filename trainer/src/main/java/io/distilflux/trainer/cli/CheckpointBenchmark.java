package io.distilflux.trainer.cli;

import io.distilflux.pipeline.bench.Stats;
import java.io.PrintStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmark: the cost of checkpointing. The same runs with {@code --checkpoint-every N} and
 * with {@code --checkpoint-every 0}, alternating, and the ratio of their wall times. Only the
 * runs are timed ({@code RunFinished.wallSeconds}), not the broker start or the teacher.
 *
 * <p>Usage: {@code CheckpointBenchmark [--repeats R] [--checkpoint-every N] [run flags…]}, e.g.
 * {@code --repeats 3 --checkpoint-every 100 --transport direct --iterations 2000 --modes
 * hypergradient --seeds 1}.
 */
public final class CheckpointBenchmark {

  private CheckpointBenchmark() {}

  /** Runs the benchmark and prints per-run wall times, medians and the with/without ratio. */
  public static void main(String[] args) {
    int repeats = 3;
    String every = "100";
    Map<String, String> settings = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --flag value pairs, got " + Arrays.toString(args));
      }
      String key = args[i].substring(2);
      String value = args[++i];
      if (key.equals("repeats")) {
        repeats = Integer.parseInt(value);
      } else if (key.equals("checkpoint-every")) {
        every = value;
      } else {
        settings.put(key, value);
      }
    }
    settings.putIfAbsent("metrics-port", "0");
    PrintStream out = System.out;
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    List<Double> with = new ArrayList<>();
    List<Double> without = new ArrayList<>();
    for (int r = 0; r < repeats; r++) {
      // Alternate which goes first, so drift in machine load hits both alike.
      List<String> order = r % 2 == 0 ? List.of(every, "0") : List.of("0", every);
      for (String period : order) {
        Map<String, String> run = new LinkedHashMap<>(settings);
        run.put("checkpoint-every", period);
        String label = period.equals("0") ? "without" : "with";
        ExperimentRunner.Results results =
            new ExperimentRunner(SpecParser.parse(run), quiet, quiet).run();
        double seconds = results.runs().stream()
            .mapToDouble(result -> result.finished().wallSeconds()).sum();
        if (!results.allSucceeded()) {
          throw new IllegalStateException("a run " + label + " checkpoints failed: "
              + results.runs().get(0).finished().failure());
        }
        (period.equals("0") ? without : with).add(seconds);
        out.printf(Locale.ROOT, "repeat %d %-7s checkpoints: run wall time %.2f s%n", r + 1,
            label, seconds);
      }
    }
    double withMedian = Stats.median(with);
    double withoutMedian = Stats.median(without);
    out.printf(Locale.ROOT, "median wall time: with checkpoints every %s steps %.2f s, without"
        + " %.2f s; ratio with/without %.3f over %d repeats%n", every, withMedian, withoutMedian,
        withMedian / withoutMedian, repeats);
  }

}
