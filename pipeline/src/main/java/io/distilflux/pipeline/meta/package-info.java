/**
 * The meta-optimizer of docs/method.md §3: turns {@code HyperGradient} events into {@code
 * MetaParams} updates of the distillation meta-parameters b.
 *
 * <p>{@link io.distilflux.pipeline.meta.MetaUpdateRule} is the pure update (SGD or Adam on the
 * per-component clipped hypergradient, applied to the point {@code at} the step used); {@link
 * io.distilflux.pipeline.meta.MetaOptimizerService} runs it for many runs over an {@code
 * EventBus}: one update per version, non-finite hypergradients answered with b unchanged, per-run
 * settings from {@code RunStarted}, state rebuilt from the topics on start.
 */
package io.distilflux.pipeline.meta;
