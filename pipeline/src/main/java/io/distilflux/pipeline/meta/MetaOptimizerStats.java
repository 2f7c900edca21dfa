package io.distilflux.pipeline.meta;

/**
 * An immutable snapshot of the meta-optimizer's counters, for export as metrics.
 *
 * @param updates hypergradients turned into an update of b
 * @param skippedNonFinite hypergradients with a NaN or infinite component (in the gradient or
 *     in {@code at}); their version was published with b unchanged
 * @param duplicates hypergradients whose version had already been published; nothing was sent
 * @param runs runs this instance has processed hypergradients of
 */
public record MetaOptimizerStats(
    long updates, long skippedNonFinite, long duplicates, int runs) {}
