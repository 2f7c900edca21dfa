package io.distilflux.trainer.run;

import java.nio.file.Path;

/**
 * When and where runs checkpoint.
 *
 * @param every checkpoint after every {@code every} steps and at the end of a run; 0 turns
 *     checkpoints off
 * @param keep how many checkpoints of a run are kept (the newest), ≥ 1
 * @param root folder holding one sub-folder per run id
 */
public record Checkpointing(int every, int keep, Path root) {

  /** Default period in steps. */
  public static final int DEFAULT_EVERY = 1000;
  /** Default number kept. */
  public static final int DEFAULT_KEEP = 3;

  /** Validates the values. */
  public Checkpointing {
    if (every < 0) {
      throw new IllegalArgumentException("--checkpoint-every must be >= 0, got " + every);
    }
    if (keep < 1) {
      throw new IllegalArgumentException("--keep-checkpoints must be >= 1, got " + keep);
    }
  }

  /** No checkpoints. */
  public static Checkpointing off() {
    return new Checkpointing(0, 1, Path.of("."));
  }

  /** Whether runs checkpoint at all. */
  public boolean enabled() {
    return every > 0;
  }

  /** The store of one run. */
  public CheckpointStore storeFor(String runId) {
    return new CheckpointStore(root.resolve(runId), keep);
  }
}
