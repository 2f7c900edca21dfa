package io.distilflux.pipeline;

import java.time.Instant;

/**
 * The wall clock as transports stamp records with it, for tests of readers that start at a time.
 */
public final class WallClock {

  private WallClock() {}

  /**
   * Returns the first millisecond after the current one, once the clock has reached it: every
   * record written before the call has an earlier time, every record written after it this time
   * or a later one. Spins for at most a couple of milliseconds.
   */
  public static Instant nextMillisecond() {
    long now = System.currentTimeMillis();
    long next;
    do {
      Thread.onSpinWait();
      next = System.currentTimeMillis();
    } while (next <= now);
    return Instant.ofEpochMilli(next);
  }
}
