package io.distilflux.pipeline.event;

/** Where a {@link MetaParams} value came from. */
public enum MetaParamSource {
  /** The run's starting point, before any update. */
  INITIAL,
  /** An update of the meta-optimizer from a hypergradient (docs/method.md §3). */
  OPTIMIZER,
  /** A point on a published {@link TrajectoryForecast} line (docs/method.md §4). */
  FORECAST
}
