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
 * @param extra the run's extra meta-parameters ({@link RunConfig#extraMeta()}) by name, each
 *     as coordinate and value; empty before schema version 4
 */
public record MetaParams(
    int schemaVersion,
    String runId,
    long version,
    MetaValues meta,
    Unconstrained b,
    MetaParamSource source,
    java.util.Map<String, ExtraValue> extra)
    implements Event {

  /** Bounds and copies the extras (absent: none). */
  public MetaParams {
    extra = Extras.copy(extra, "extra");
  }

  /** Meta-parameters (λ1, λ2, T) only. */
  public MetaParams(int schemaVersion, String runId, long version, MetaValues meta,
      Unconstrained b, MetaParamSource source) {
    this(schemaVersion, runId, version, meta, b, source, java.util.Map.of());
  }

  /** The extras' coordinates b by name. */
  public java.util.Map<String, Double> extraCoordinates() {
    java.util.Map<String, Double> b = new java.util.TreeMap<>();
    extra.forEach((name, value) -> b.put(name, value.b()));
    return java.util.Collections.unmodifiableMap(b);
  }
}
