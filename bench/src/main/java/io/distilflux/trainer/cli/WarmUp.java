package io.distilflux.trainer.cli;

/**
 * When the warm-up of an A/B run benchmark is over: after {@code pairs} warm-up pairs, and, with
 * a JIT limit, once the last warm-up pair's runs each spent at most that many seconds compiling
 * (the JIT has reached the code both variants run, as in a long-running job), or after {@code
 * maxPairs} warm-up pairs, whichever comes first. What a process pays before that (a cold run) is
 * a separate figure.
 *
 * @param pairs warm-up pairs that always run, at least 0
 * @param jitSeconds the most a run of the last warm-up pair may spend compiling, or a negative
 *     number for no limit (the warm-up is then {@code pairs} pairs)
 * @param maxPairs the most warm-up pairs, at least {@code pairs}; reached with the JIT still
 *     busy, the benchmark counts the repeats anyway and says so
 */
record WarmUp(int pairs, double jitSeconds, int maxPairs) {

  WarmUp {
    if (pairs < 0 || maxPairs < pairs) {
      throw new IllegalArgumentException(
          "need 0 <= warm-up pairs <= max warm-up pairs, got " + pairs + " and " + maxPairs);
    }
  }

  /** {@code pairs} warm-up pairs, no JIT limit. */
  static WarmUp fixed(int pairs) {
    return new WarmUp(pairs, -1, pairs);
  }

  /** Whether a JIT limit lets the warm-up go on past {@code pairs}. */
  boolean waitsForJit() {
    return jitSeconds >= 0;
  }

  /**
   * Whether the next pair is a warm-up pair.
   *
   * @param done warm-up pairs run so far
   * @param lastPairJitSeconds the most either run of the last pair spent compiling (ignored
   *     when {@code done} is 0)
   */
  boolean another(int done, double lastPairJitSeconds) {
    if (done < pairs) {
      return true;
    }
    if (!waitsForJit() || done >= maxPairs) {
      return false;
    }
    return done == 0 || lastPairJitSeconds > jitSeconds;
  }
}
