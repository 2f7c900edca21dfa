package io.distilflux.pipeline;

import io.distilflux.pipeline.event.Event;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A consumed event with the means to acknowledge it once processed, or to reject it.
 *
 * @param event the event
 * @param partition partition it was read from
 * @param offset its offset
 * @param acknowledgement marks the record processed; its offset becomes committable
 * @param rejection writes the record to the dead-letter topic with the reason given (once per
 *     record, whoever rejects it), then marks it processed
 * @param <E> event type
 */
public record Received<E extends Event>(
    E event, int partition, long offset, Runnable acknowledgement, Consumer<String> rejection) {

  /** Validates the callbacks. */
  public Received {
    Objects.requireNonNull(acknowledgement, "acknowledgement");
    Objects.requireNonNull(rejection, "rejection");
  }

  /** A received event whose rejection only acknowledges it (no dead-letter topic). */
  public Received(E event, int partition, long offset, Runnable acknowledgement) {
    this(event, partition, offset, acknowledgement, reason -> acknowledgement.run());
  }

  /** Marks this record processed, so its offset is committed. */
  public void acknowledge() {
    acknowledgement.run();
  }

  /**
   * Rejects a well-formed record that does not fit its consumer's state (out of sequence, of a
   * run that never started): it is dead-lettered with {@code reason} and marked processed.
   */
  public void reject(String reason) {
    rejection.accept(reason);
  }
}
