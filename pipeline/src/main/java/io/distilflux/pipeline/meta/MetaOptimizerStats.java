package io.distilflux.pipeline.meta;

/**
 * An immutable snapshot of the meta-optimizer's counters, for export as metrics.
 *
 * @param updates hypergradients turned into an update of b
 * @param skippedNonFinite hypergradients with a NaN or infinite component (in the gradient or
 *     in {@code at}); their version was published with b unchanged
 * @param duplicates hypergradients whose version had already been published; nothing was sent
 *     and the record was dead-lettered
 * @param rejected hypergradients that did not fit their run (a step other than the one the run
 *     is at, or a run that never started); nothing was sent and the record was dead-lettered
 * @param runs runs this instance has processed hypergradients of
 */
public record MetaOptimizerStats(
    long updates, long skippedNonFinite, long duplicates, long rejected, int runs) {}
