package io.distilflux.trainer.speed;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.WorkspaceMode;

/**
 * DL4J knobs that change how fast one plain training step of the student runs, not what it computes.
 *
 * @param format activation layout of the conv/BN/pool layers (the network input stays NCHW)
 * @param workspaceMode workspace mode used for both training and inference
 * @param cacheMode DL4J layer cache mode
 */
public record StepSettings(CNN2DFormat format, WorkspaceMode workspaceMode, CacheMode cacheMode) {

  /** DL4J's out-of-the-box settings: NCHW, no workspaces, no cache. */
  public static StepSettings outOfTheBox() {
    return new StepSettings(CNN2DFormat.NCHW, WorkspaceMode.NONE, CacheMode.NONE);
  }

  /** Validates that no component is null. */
  public StepSettings {
    if (format == null || workspaceMode == null || cacheMode == null) {
      throw new IllegalArgumentException("StepSettings: format, workspaceMode and cacheMode must be set");
    }
  }

  /** Short label for benchmark tables, e.g. {@code NHWC/ws=ENABLED/cache=NONE}. */
  public String label() {
    return format + "/ws=" + workspaceMode + "/cache=" + cacheMode;
  }
}
