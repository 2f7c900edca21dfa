package io.distilflux.pipeline.kafka;

import io.distilflux.pipeline.Channel;
import java.time.Duration;

/**
 * Tuning of a {@link KafkaEventBus}.
 *
 * @param maxInFlight sends one {@code publish} keeps in flight at most
 * @param linger how long the producer of {@link Channel.Urgency#AWAITED awaited} channels waits
 *     to fill a batch ({@code linger.ms}); 0 sends at once, and batches still form while earlier
 *     requests are in flight
 * @param backgroundLinger the same for {@link Channel.Urgency#BACKGROUND background} channels,
 *     which nobody waits on: a step's record then shares its request with those of the next
 *     steps instead of costing the broker and both clients a request of its own
 * @param roundLinger the longest the producer of {@link Channel.Urgency#ROUND round} channels
 *     holds a record when its sender does not end the round ({@link
 *     io.distilflux.pipeline.EventBus#endRound}) first
 * @param pollTimeout longest a consumer's poll waits for records
 * @param batchBytes the producer's batch size per partition ({@code batch.size})
 * @param backgroundBatchBytes the same for the producer of background channels: a run's steps
 *     come by the thousand a second, and each produce request costs the broker and both clients
 *     about as much as the bytes it carries
 * @param commitInterval how often a consumer commits what was acknowledged at most; its
 *     subscription's end always commits
 */
public record KafkaBusSettings(
    int maxInFlight, Duration linger, Duration backgroundLinger, Duration roundLinger,
    Duration pollTimeout,
    int batchBytes, int backgroundBatchBytes, Duration commitInterval) {

  /** Validates the settings. */
  public KafkaBusSettings {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be >= 1, got " + maxInFlight);
    }
    if (linger.isNegative()) {
      throw new IllegalArgumentException("linger must not be negative, got " + linger);
    }
    if (backgroundLinger.isNegative()) {
      throw new IllegalArgumentException(
          "backgroundLinger must not be negative, got " + backgroundLinger);
    }
    if (roundLinger.isNegative()) {
      throw new IllegalArgumentException("roundLinger must not be negative, got " + roundLinger);
    }
    if (pollTimeout.isNegative() || pollTimeout.isZero()) {
      throw new IllegalArgumentException("pollTimeout must be positive, got " + pollTimeout);
    }
    if (batchBytes < 1) {
      throw new IllegalArgumentException("batchBytes must be >= 1, got " + batchBytes);
    }
    if (backgroundBatchBytes < 1) {
      throw new IllegalArgumentException(
          "backgroundBatchBytes must be >= 1, got " + backgroundBatchBytes);
    }
    if (commitInterval.isNegative()) {
      throw new IllegalArgumentException(
          "commitInterval must not be negative, got " + commitInterval);
    }
  }

  /**
   * 4096 sends in flight (throughput is about in-flight / round trip), no linger on awaited
   * channels (a trainer waits on every update: latency first), 200 ms on background ones (a few
   * steps per request, well inside a scrape interval), 5 ms at most on round ones (about a round
   * trip: a round whose sender does not end it still goes out), 100 ms poll, 64 KiB batches
   * (512 KiB on background channels: about 1 200 step records a request instead of 160),
   * commits at most every second (each commit is a broker request; a restarted consumer reads
   * again what was processed since, which the services deduplicate).
   */
  public static KafkaBusSettings defaults() {
    return new KafkaBusSettings(4096, Duration.ZERO, Duration.ofMillis(200),
        Duration.ofMillis(5), Duration.ofMillis(100), 64 * 1024, 512 * 1024,
        Duration.ofSeconds(1));
  }

  /** The same settings with another linger on awaited channels. */
  public KafkaBusSettings withLinger(Duration value) {
    return new KafkaBusSettings(
        maxInFlight, value, backgroundLinger, roundLinger, pollTimeout, batchBytes,
        backgroundBatchBytes, commitInterval);
  }

  /** The same settings committing at most every {@code value}. */
  public KafkaBusSettings withCommitInterval(Duration value) {
    return new KafkaBusSettings(
        maxInFlight, linger, backgroundLinger, roundLinger, pollTimeout, batchBytes,
        backgroundBatchBytes, value);
  }

  /** The same settings holding records of round channels at most {@code value}. */
  public KafkaBusSettings withRoundLinger(Duration value) {
    return new KafkaBusSettings(
        maxInFlight, linger, backgroundLinger, value, pollTimeout, batchBytes,
        backgroundBatchBytes, commitInterval);
  }

  /** The same settings with another linger on background channels. */
  public KafkaBusSettings withBackgroundLinger(Duration value) {
    return new KafkaBusSettings(
        maxInFlight, linger, value, roundLinger, pollTimeout, batchBytes,
        backgroundBatchBytes, commitInterval);
  }
}
