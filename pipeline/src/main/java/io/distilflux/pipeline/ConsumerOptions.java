package io.distilflux.pipeline;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;

/**
 * How to consume a channel.
 *
 * @param groupId consumer group whose committed offsets survive restarts; for a reader that
 *     does not commit ({@code commits} false), only its name
 * @param fromEarliest where a group without committed offsets starts: earliest or latest
 * @param runIds when not empty, only events of these runs are emitted (others are acknowledged
 *     and skipped, on Kafka by their key, without being decoded); empty for every run
 * @param bufferSize bound of the buffer between the poll loop and the subscriber
 * @param commits whether acknowledged progress is committed under the group, so that the next
 *     subscription of the group resumes there; false for a reader that rebuilds its state from
 *     the whole history on every subscription: it joins no group, commits nothing and reads
 *     every partition (or its run's) from {@code fromEarliest}'s end each time
 * @param batchWait how long the transport may hold records back to hand them over in fewer,
 *     larger batches; zero hands each one over as soon as it is there. For readers whose
 *     events nobody waits on (metrics), since every wake-up costs the broker and the client CPU
 * @param since for a reader that does not commit, the oldest record time it reads: it starts at
 *     each partition's first record written at or after it (the end, when there is none), not at
 *     the partition's start; {@link Instant#EPOCH} for the whole history. A service rebuilding
 *     its state sets it from its {@link RunHistory} so that a restart reads what is left of the
 *     runs it still serves, not every run the topics ever held
 */
public record ConsumerOptions(
    String groupId,
    boolean fromEarliest,
    Set<String> runIds,
    int bufferSize,
    boolean commits,
    Duration batchWait,
    Instant since) {

  /** Default buffer bound. */
  public static final int DEFAULT_BUFFER = 1024;

  /**
   * A batch wait for readers nobody waits on (metrics, recordings): short next to a scrape
   * interval, long next to the time between a run's steps. An idle reader costs the broker
   * one fetch per batch wait.
   */
  public static final Duration BACKGROUND_BATCH_WAIT = Duration.ofSeconds(1);

  /** Validates the options. */
  public ConsumerOptions {
    runIds = Set.copyOf(Objects.requireNonNull(runIds, "runIds"));
    Objects.requireNonNull(batchWait, "batchWait");
    if (batchWait.isNegative()) {
      throw new IllegalArgumentException("batchWait must not be negative, got " + batchWait);
    }
    Objects.requireNonNull(since, "since");
    if (since.isBefore(Instant.EPOCH)) {
      throw new IllegalArgumentException("since must not be before the epoch, got " + since);
    }
  }

  /** A group reading every run from the earliest offset. */
  public static ConsumerOptions earliest(String groupId) {
    return new ConsumerOptions(groupId, true, Set.of(), DEFAULT_BUFFER, true,
        Duration.ZERO, Instant.EPOCH);
  }

  /** A group reading every run from the latest offset. */
  public static ConsumerOptions latest(String groupId) {
    return new ConsumerOptions(groupId, false, Set.of(), DEFAULT_BUFFER, true,
        Duration.ZERO, Instant.EPOCH);
  }

  /**
   * A reader named {@code name} of the whole history: every subscription reads from the
   * earliest offset, and nothing is committed.
   */
  public static ConsumerOptions wholeHistory(String name) {
    return new ConsumerOptions(name, true, Set.of(), DEFAULT_BUFFER, false,
        Duration.ZERO, Instant.EPOCH);
  }

  /** The same options restricted to one run. */
  public ConsumerOptions forRun(String id) {
    return forRuns(Set.of(id));
  }

  /** The same options restricted to these runs (one reader for many runs, e.g. of a process). */
  public ConsumerOptions forRuns(Collection<String> ids) {
    if (ids.isEmpty()) {
      throw new IllegalArgumentException("runIds must not be empty: leave them out for every run");
    }
    return new ConsumerOptions(groupId, fromEarliest, Set.copyOf(ids), bufferSize, commits,
        batchWait, since);
  }

  /** The same options with another buffer bound. */
  public ConsumerOptions withBuffer(int size) {
    return new ConsumerOptions(groupId, fromEarliest, runIds, size, commits, batchWait,
        since);
  }

  /** The same options, records held back up to {@code wait} to come in batches. */
  public ConsumerOptions batchedUpTo(Duration wait) {
    return new ConsumerOptions(groupId, fromEarliest, runIds, bufferSize, commits, wait,
        since);
  }

  /**
   * The same reader of history, starting at the records written at or after {@code time}
   * instead of the first ones.
   *
   * @throws IllegalStateException for a reader that commits: its group's offsets say where it
   *     resumes
   */
  public ConsumerOptions since(Instant time) {
    if (commits) {
      throw new IllegalStateException("a reader that commits resumes at its group's offsets");
    }
    return new ConsumerOptions(groupId, fromEarliest, runIds, bufferSize, commits, batchWait,
        time);
  }
}
