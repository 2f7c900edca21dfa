package io.distilflux.pipeline;

import io.distilflux.pipeline.event.Event;

/**
 * A consumed event with the means to acknowledge it once processed.
 *
 * @param event the event
 * @param partition partition it was read from
 * @param offset its offset
 * @param acknowledgement marks the record processed; its offset becomes committable
 * @param <E> event type
 */
public record Received<E extends Event>(
    E event, int partition, long offset, Runnable acknowledgement) {

  /** Marks this record processed, so its offset is committed. */
  public void acknowledge() {
    acknowledgement.run();
  }
}
