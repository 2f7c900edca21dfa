package io.distilflux.pipeline.meta;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;

/**
 * What the service knows of one run. Every field is guarded by the instance's monitor: the
 * state feeds and the hypergradient consumer run on different threads.
 */
final class RunState {

  /** The run's configuration from its RunStarted: its hypergradient steps follow from it. */
  final RunConfig config;
  /** The earliest start of the run seen (its trainer's clock): where its records begin. */
  long firstStartMillis = Long.MAX_VALUE;
  /** Highest version the optimizer has published for the run (from the topic or by us). */
  long lastVersion = Long.MIN_VALUE;
  /** The b of the highest version seen on the metaparams topic, from any source. */
  Unconstrained lastB;
  /** The extra coordinates published with {@link #lastB}, by name. */
  java.util.Map<String, Double> lastExtra = java.util.Map.of();
  long lastBVersion = Long.MIN_VALUE;
  /** The starting point the run announced, a fallback when nothing else is known. */
  Unconstrained initial;
  /** Settings from the run's RunStarted; null until seen. */
  MetaOptimizerSettings settings;
  /** The rule and its Adam state; built on first use. */
  MetaUpdateRule rule;
  /**
   * Highest version whose hypergradient the update rule has taken: decided here, or replayed
   * from the hypergradients topic (on start, or when the run comes from another instance).
   */
  long replayedVersion = Long.MIN_VALUE;
  /** Whether this instance has processed a hypergradient of the run. */
  boolean processed;
  /** {@link System#nanoTime()} of the last catch-up read of the metaparams topic for the run. */
  long lastCatchUpNanos;
  /** Whether a catch-up read has been made for the run at all. */
  boolean caughtUp;
  /**
   * Whether the run's versions were left unread on start (it had ended before the start's
   * horizon): they are read, once, before the run's next hypergradient is decided.
   */
  boolean versionsUnread;

  RunState(RunConfig config) {
    this.config = config;
  }

  /**
   * The only version the run can publish next: that of its next hypergradient step after the
   * last version published (each hypergradient of step t is answered by version t + 1).
   */
  long expectedVersion() {
    long lastStep = lastVersion == Long.MIN_VALUE ? -1 : lastVersion - 1;
    long step = config.nextHyperGradientStep(lastStep);
    return step == Long.MAX_VALUE ? Long.MAX_VALUE : step + 1;
  }

  /**
   * Whether a hypergradient of {@code version} is ahead of what this instance has read of the
   * run's versions: it may be the next one after versions another instance published that the
   * state feed has not read yet.
   */
  boolean ahead(long version) {
    return version > lastVersion && version != expectedVersion();
  }

  /**
   * Takes the run's turn to read the metaparams topic again, at most once per {@code interval}
   * nanoseconds, so that records sent ahead of the sequence on purpose cannot make the service
   * reread the topic at their rate.
   */
  boolean takeCatchUp(long now, long interval) {
    if (caughtUp && now - lastCatchUpNanos < interval) {
      return false;
    }
    caughtUp = true;
    lastCatchUpNanos = now;
    return true;
  }

  /**
   * Whether the run's Adam moments miss versions published elsewhere (by the instance that had
   * the run's partition before), so its hypergradients must be replayed before the next step.
   */
  boolean momentsBehind(MetaOptimizerSettings defaults) {
    return usesAdam(defaults) && lastVersion != Long.MIN_VALUE && replayedVersion < lastVersion;
  }

  MetaUpdateRule rule(MetaOptimizerSettings defaults) {
    if (rule == null) {
      rule = MetaUpdateRule.of(settings != null ? settings : defaults);
    }
    return rule;
  }

  boolean usesAdam(MetaOptimizerSettings defaults) {
    return (settings != null ? settings : defaults).optimizer() == OptimizerKind.ADAM;
  }

  /** The names of the run's extra meta-parameters, in the order of their coordinates. */
  java.util.List<String> extraNames() {
    return java.util.List.copyOf(config.extraMeta().keySet());
  }

  /**
   * The best known finite value of an extra coordinate, to keep when a hypergradient's own is
   * not finite: the last published, else the run's start.
   */
  double fallbackExtra(String name) {
    Double last = lastExtra.get(name);
    return last != null && Double.isFinite(last) ? last : config.extraMeta().get(name);
  }

  /** The best known finite b to keep when a hypergradient's own point is not finite. */
  Unconstrained fallbackPoint() {
    if (lastB != null && lastB.isFinite()) {
      return lastB;
    }
    return initial != null && initial.isFinite() ? initial : null;
  }
}
