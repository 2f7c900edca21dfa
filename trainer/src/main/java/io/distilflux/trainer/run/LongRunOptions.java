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
 */
public record LongRunOptions(
    OnMetaTimeout onMetaTimeout, Checkpointing checkpointing, MeterRegistry registry) {

  /** Checks for nulls. */
  public LongRunOptions {
    Objects.requireNonNull(onMetaTimeout, "onMetaTimeout");
    Objects.requireNonNull(checkpointing, "checkpointing");
    Objects.requireNonNull(registry, "registry");
  }

  /** Fail on a timeout, no checkpoints, meters in a registry of their own. */
  public static LongRunOptions defaults() {
    return new LongRunOptions(OnMetaTimeout.FAIL, Checkpointing.off(), new SimpleMeterRegistry());
  }
}
