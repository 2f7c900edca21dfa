package io.distilflux.trainer.cli;


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
    String every = "100";
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--checkpoint-every")) {
        every = args[i + 1];
      }
    }
    AlternatingRuns.Medians medians = new AlternatingRuns("checkpoint-every", every, "0")
        .measure(args, System.out);
    System.out.println("checkpoints every " + every + " steps: "
        + medians.summary("with", "without"));
  }
}
