package io.distilflux.trainer.distill;

/**
 * Threads of one run's student computation: its training steps, and its evaluations, which may
 * use more (with the Kafka transport the bus is busy while a run trains, quiet while it
 * evaluates). They change the speed, never the numbers.
 *
 * @param step threads of a training step, at least 1
 * @param evaluation threads of an evaluation, at least 1
 */
public record ComputeThreads(int step, int evaluation) {

  /** Validates the counts. */
  public ComputeThreads {
    if (step < 1 || evaluation < 1) {
      throw new IllegalArgumentException(
          "compute threads must be >= 1, got step " + step + ", evaluation " + evaluation);
    }
  }

  /** The same count for steps and evaluations. */
  public static ComputeThreads of(int threads) {
    return new ComputeThreads(threads, threads);
  }
}
