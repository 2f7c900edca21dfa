package io.distilflux.pipeline;

import java.util.Optional;

/**
 * How to consume a channel.
 *
 * @param groupId consumer group; its committed offsets survive restarts
 * @param fromEarliest where a group without committed offsets starts: earliest or latest
 * @param runId when present, only events of this run are emitted (others are acknowledged
 *     and skipped)
 * @param bufferSize bound of the buffer between the poll loop and the subscriber
 */
public record ConsumerOptions(
    String groupId, boolean fromEarliest, Optional<String> runId, int bufferSize) {

  /** Default buffer bound. */
  public static final int DEFAULT_BUFFER = 1024;

  /** A group reading every run from the earliest offset. */
  public static ConsumerOptions earliest(String groupId) {
    return new ConsumerOptions(groupId, true, Optional.empty(), DEFAULT_BUFFER);
  }

  /** A group reading every run from the latest offset. */
  public static ConsumerOptions latest(String groupId) {
    return new ConsumerOptions(groupId, false, Optional.empty(), DEFAULT_BUFFER);
  }

  /** The same options restricted to one run. */
  public ConsumerOptions forRun(String id) {
    return new ConsumerOptions(groupId, fromEarliest, Optional.of(id), bufferSize);
  }
}
