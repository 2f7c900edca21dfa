package io.distilflux.pipeline.event;

/**
 * The meta-parameters to use for a given step of a run.
 *
 * @param schemaVersion schema version written
 * @param runId run id (record key)
 * @param version the step these values apply to
 * @param meta λ1, λ2, T
 * @param b the same point in unconstrained coordinates
 * @param source where the value came from
 */
public record MetaParams(
    int schemaVersion,
    String runId,
    long version,
    MetaValues meta,
    Unconstrained b,
    MetaParamSource source)
    implements Event {}
