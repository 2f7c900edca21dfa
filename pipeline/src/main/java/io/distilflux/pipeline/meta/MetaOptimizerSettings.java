package io.distilflux.pipeline.meta;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the meta-optimizer service: the update rule used for runs whose {@code RunStarted}
 * was not seen, and how long a state topic must stay quiet before the rebuild counts as caught
 * up (method.md §3).
 *
 * @param optimizer default update rule (SGD or Adam)
 * @param learningRate default meta learning rate η, finite and &gt; 0
 * @param clip default per-component clip c of the hypergradient, finite and &gt; 0
 * @param catchUpQuiet how long the replayed state topics must deliver nothing before the
 *     service treats them as read to their end and starts consuming hypergradients
 */
public record MetaOptimizerSettings(
    OptimizerKind optimizer, double learningRate, double clip, Duration catchUpQuiet) {

  /** Default η when none is given. */
  public static final double DEFAULT_LEARNING_RATE = 0.01;
  /** Default clip, the reference value of method.md §3. */
  public static final double DEFAULT_CLIP = 1.0;
  /** Default quiet period; long enough for a Kafka consumer group to join and fetch. */
  public static final Duration DEFAULT_CATCH_UP_QUIET = Duration.ofSeconds(3);

  /** Validates every field; the message names the culprit. */
  public MetaOptimizerSettings {
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(catchUpQuiet, "catchUpQuiet");
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException(
          "learningRate must be finite and > 0, got " + learningRate);
    }
    if (!(clip > 0) || !Double.isFinite(clip)) {
      throw new IllegalArgumentException("clip must be finite and > 0, got " + clip);
    }
    if (catchUpQuiet.isNegative() || catchUpQuiet.isZero()) {
      throw new IllegalArgumentException("catchUpQuiet must be > 0, got " + catchUpQuiet);
    }
  }

  /** SGD, η = {@value #DEFAULT_LEARNING_RATE}, c = {@value #DEFAULT_CLIP}, 3 s quiet. */
  public static MetaOptimizerSettings defaults() {
    return new MetaOptimizerSettings(
        OptimizerKind.SGD, DEFAULT_LEARNING_RATE, DEFAULT_CLIP, DEFAULT_CATCH_UP_QUIET);
  }

  /** The same settings with another update rule. */
  public MetaOptimizerSettings withRule(OptimizerKind kind, double eta, double c) {
    return new MetaOptimizerSettings(kind, eta, c, catchUpQuiet);
  }

  /** The same settings with another quiet period. */
  public MetaOptimizerSettings withCatchUpQuiet(Duration quiet) {
    return new MetaOptimizerSettings(optimizer, learningRate, clip, quiet);
  }

  /** The rule a run asked for in its configuration, keeping this quiet period. */
  public MetaOptimizerSettings forRun(RunConfig config) {
    return withRule(config.metaOptimizer(), config.metaLearningRate(), config.metaClip());
  }
}
