package io.distilflux.pipeline.meta;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import java.util.Objects;

/**
 * Settings of the meta-optimizer service: the update rule used for runs whose {@code RunStarted}
 * was not seen (docs/method.md §3).
 *
 * @param optimizer default update rule (SGD or Adam)
 * @param learningRate default meta learning rate η, finite and &gt; 0
 * @param clip default per-component clip c of the hypergradient, finite and &gt; 0
 */
public record MetaOptimizerSettings(
    OptimizerKind optimizer, double learningRate, double clip) {

  /** Default η when none is given. */
  public static final double DEFAULT_LEARNING_RATE = 0.01;
  /** Default clip, the reference value of docs/method.md §3. */
  public static final double DEFAULT_CLIP = 1.0;

  /** Validates every field; the message names the culprit. */
  public MetaOptimizerSettings {
    Objects.requireNonNull(optimizer, "optimizer");
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException(
          "learningRate must be finite and > 0, got " + learningRate);
    }
    if (!(clip > 0) || !Double.isFinite(clip)) {
      throw new IllegalArgumentException("clip must be finite and > 0, got " + clip);
    }
  }

  /** SGD, η = {@value #DEFAULT_LEARNING_RATE}, c = {@value #DEFAULT_CLIP}. */
  public static MetaOptimizerSettings defaults() {
    return new MetaOptimizerSettings(
        OptimizerKind.SGD, DEFAULT_LEARNING_RATE, DEFAULT_CLIP);
  }

  /** The same settings with another update rule. */
  public MetaOptimizerSettings withRule(OptimizerKind kind, double eta, double c) {
    return new MetaOptimizerSettings(kind, eta, c);
  }

  /** The rule a run asked for in its configuration. */
  public MetaOptimizerSettings forRun(RunConfig config) {
    return withRule(config.metaOptimizer(), config.metaLearningRate(), config.metaClip());
  }
}
