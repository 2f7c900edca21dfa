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
 * Benchmark: the same student runs with {@code --transport kafka} (embedded broker) and
 * {@code --transport direct} (in-memory bus), alternating, and the ratio of their wall times.
 * Only the runs are timed ({@code RunFinished.wallSeconds}), not the broker start or the teacher.
 *
 * <p>Usage: {@code TransportBenchmark [--repeats N] [run flags…]}, e.g.
 * {@code --repeats 3 --dataset cifar10 --data-dir DIR --epochs 1 --modes forecast --seeds 1}.
 */
public final class TransportBenchmark {

  private TransportBenchmark() {}

  /** Runs the benchmark and prints per-run wall times, medians and the kafka/direct ratio. */
  public static void main(String[] args) {
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
    PrintStream out = System.out;
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    List<Double> kafka = new ArrayList<>();
    List<Double> direct = new ArrayList<>();
    for (int r = 0; r < repeats; r++) {
      // Alternate which transport goes first, so drift in machine load hits both alike.
      List<String> order = r % 2 == 0 ? List.of("kafka", "direct") : List.of("direct", "kafka");
      for (String transport : order) {
        Map<String, String> run = new LinkedHashMap<>(settings);
        run.put("transport", transport);
        ExperimentRunner.Results results =
            new ExperimentRunner(SpecParser.parse(run), quiet, quiet).run();
        double seconds = results.runs().stream()
            .mapToDouble(result -> result.finished().wallSeconds()).sum();
        if (!results.allSucceeded()) {
          throw new IllegalStateException("a " + transport + " run failed: "
              + results.runs().get(0).finished().failure());
        }
        (transport.equals("kafka") ? kafka : direct).add(seconds);
        out.printf(Locale.ROOT, "repeat %d %-6s run wall time %.2f s%n", r + 1, transport, seconds);
      }
    }
    double kafkaMedian = Stats.median(kafka);
    double directMedian = Stats.median(direct);
    out.printf(Locale.ROOT, "median wall time: kafka %.2f s, direct %.2f s; ratio kafka/direct %.3f"
        + " (target <= 1.10) over %d repeats%n", kafkaMedian, directMedian,
        kafkaMedian / directMedian, repeats);
  }
}
