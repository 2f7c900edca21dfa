package io.distilflux.pipeline.event;

/**
 * One extra coordinate of a {@link HyperGradient}.
 *
 * @param at the coordinate b the step used
 * @param gradient dL_val/db (may be non-finite: consumers skip and count such values)
 */
public record ExtraGradient(double at, double gradient) {}
