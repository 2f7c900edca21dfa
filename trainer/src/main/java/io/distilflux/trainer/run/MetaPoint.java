package io.distilflux.trainer.run;

import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Unconstrained;

/**
 * The meta-parameters a step trains with.
 *
 * @param b unconstrained coordinates (what hypergradients are taken with respect to)
 * @param values λ1, λ2, T actually used; equal to {@code b.toValues()} except for modes that
 *     pin λ at the edge of its range (no distillation: λ = (1, 0, ·))
 * @param source where the value came from
 * @param extra the coordinates of the run's extra meta-parameters by name (for example
 *     {@code lambdaC}); empty for a run without
 */
public record MetaPoint(Unconstrained b, MetaValues values, MetaParamSource source,
    java.util.Map<String, Double> extra) {

  /** Copies the extras. */
  public MetaPoint {
    extra = java.util.Map.copyOf(extra);
  }

  /** A point without extra meta-parameters. */
  public MetaPoint(Unconstrained b, MetaValues values, MetaParamSource source) {
    this(b, values, source, java.util.Map.of());
  }

  /** A point given in unconstrained coordinates. */
  public static MetaPoint of(Unconstrained b, MetaParamSource source) {
    return new MetaPoint(b, b.toValues(), source);
  }

  /** The same point with these extra coordinates. */
  public MetaPoint withExtra(java.util.Map<String, Double> coordinates) {
    return new MetaPoint(b, values, source, coordinates);
  }

  /** The extra meta-parameters' natural values by name (λ_c for {@code lambdaC}). */
  public java.util.Map<String, Double> extraValues() {
    java.util.Map<String, Double> values = new java.util.TreeMap<>();
    extra.forEach((name, coordinate) ->
        values.put(name, ExtraParameter.require(name).value(coordinate)));
    return values;
  }
}
