package io.distilflux.trainer.run;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Objects;

/**
 * Settings of long-running runs.
 *
 * @param onMetaTimeout what a run does when an update or a forecast is late
 * @param checkpointing when and where runs checkpoint
 * @param registry where the trainer's own meters ({@code distilflux.meta.held.steps}) go
 * @param runAhead how many steps a hypergradient run may train ahead of the meta-optimizer on
 *     updates it computes itself (see {@link StreamedMetaSource}); 0: it waits for each
 */
public record LongRunOptions(
    OnMetaTimeout onMetaTimeout, Checkpointing checkpointing, MeterRegistry registry,
    int runAhead) {

  /** The default of {@code runAhead}: a few milliseconds of a small student's steps. */
  public static final int DEFAULT_RUN_AHEAD = 256;

  /** Checks for nulls and the range of {@code runAhead}. */
  public LongRunOptions {
    Objects.requireNonNull(onMetaTimeout, "onMetaTimeout");
    Objects.requireNonNull(checkpointing, "checkpointing");
    Objects.requireNonNull(registry, "registry");
    if (runAhead < 0) {
      throw new IllegalArgumentException("runAhead must be >= 0, got " + runAhead);
    }
  }

  /** The options with runs that wait for each update. */
  public LongRunOptions(
      OnMetaTimeout onMetaTimeout, Checkpointing checkpointing, MeterRegistry registry) {
    this(onMetaTimeout, checkpointing, registry, 0);
  }

  /** Fail on a timeout, no checkpoints, meters in a registry of their own, no running ahead. */
  public static LongRunOptions defaults() {
    return new LongRunOptions(OnMetaTimeout.FAIL, Checkpointing.off(), new SimpleMeterRegistry());
  }
}
