package io.distilflux.trainer.cli;

import java.util.Locale;

/**
 * Benchmark: the same student runs with {@code --transport kafka} (embedded broker) and
 * {@code --transport direct} (in-memory bus), alternating, and the ratio of their wall times.
 * Only the runs are timed ({@code RunFinished.wallSeconds}), not the broker start or the teacher.
 *
 * <p>Usage: {@code TransportBenchmark [--warmup N] [--repeats N] [run flags…]}, e.g.
 * {@code --warmup 3 --repeats 5 --dataset cifar10 --data-dir DIR --epochs 8 --modes forecast
 * --seeds 1}: warm-up pairs are printed, not counted (see {@link AlternatingRuns}).
 */
public final class TransportBenchmark {

  private TransportBenchmark() {}

  /** Runs the benchmark and prints per-run wall times, medians and the kafka/direct ratio. */
  public static void main(String[] args) {
    AlternatingRuns.Medians medians = new AlternatingRuns("transport", "kafka", "direct")
        .measure(args, System.out);
    System.out.printf(Locale.ROOT, "median wall time: kafka %.2f s, direct %.2f s; ratio"
        + " kafka/direct %.3f (target <= 1.10)%n", medians.a(), medians.b(),
        medians.a() / medians.b());
  }
}
