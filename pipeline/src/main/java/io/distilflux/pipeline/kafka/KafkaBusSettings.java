package io.distilflux.pipeline.kafka;

import java.time.Duration;

/**
 * Tuning of a {@link KafkaEventBus}.
 *
 * @param maxInFlight sends one {@code publish} keeps in flight at most
 * @param linger how long the producer waits to fill a batch ({@code linger.ms})
 * @param pollTimeout longest a consumer's poll waits for records; also bounds how late an
 *     acknowledgement is committed
 */
public record KafkaBusSettings(int maxInFlight, Duration linger, Duration pollTimeout) {

  /** Validates the settings. */
  public KafkaBusSettings {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be >= 1, got " + maxInFlight);
    }
    if (linger.isNegative()) {
      throw new IllegalArgumentException("linger must not be negative, got " + linger);
    }
    if (pollTimeout.isNegative() || pollTimeout.isZero()) {
      throw new IllegalArgumentException("pollTimeout must be positive, got " + pollTimeout);
    }
  }

  /** 4096 sends in flight (throughput is about in-flight / round trip), 2 ms linger, 100 ms poll. */
  public static KafkaBusSettings defaults() {
    return new KafkaBusSettings(4096, Duration.ofMillis(2), Duration.ofMillis(100));
  }

  /** The same settings with another linger. */
  public KafkaBusSettings withLinger(Duration value) {
    return new KafkaBusSettings(maxInFlight, value, pollTimeout);
  }
}
