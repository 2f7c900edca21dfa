package io.distilflux.pipeline.event;

/** How the meta-parameters of a training step were obtained (docs/method.md §4–§5). */
public enum Phase {
  /** Hypergradient mini-epoch: λ updated by the meta-optimizer after every step. */
  HYPERGRADIENT,
  /** Forecast mini-epoch: λ read off the least-squares line, no hypergradient computed. */
  FORECAST,
  /** λ constant for the whole run (no distillation, fixed or random λ). */
  FIXED
}
