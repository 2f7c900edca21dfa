package io.distilflux.pipeline;

import io.distilflux.pipeline.event.Event;

/**
 * A topic and the type of event it carries.
 *
 * @param topic the topic name
 * @param type the event type (a supertype where a topic carries several)
 * @param <E> the event type
 */
public record Channel<E extends Event>(String topic, Class<E> type) {}
