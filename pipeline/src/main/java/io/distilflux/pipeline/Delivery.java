package io.distilflux.pipeline;

import io.distilflux.pipeline.event.Event;

/**
 * An event the transport has acknowledged.
 *
 * @param event the event sent
 * @param partition partition it was written to (0 for the in-memory transport)
 * @param offset its offset within the partition
 * @param <E> event type
 */
public record Delivery<E extends Event>(E event, int partition, long offset) {}
