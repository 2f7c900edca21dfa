package io.distilflux.trainer.run;

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
 */
public record MetaPoint(Unconstrained b, MetaValues values, MetaParamSource source) {

  /** A point given in unconstrained coordinates. */
  public static MetaPoint of(Unconstrained b, MetaParamSource source) {
    return new MetaPoint(b, b.toValues(), source);
  }
}
