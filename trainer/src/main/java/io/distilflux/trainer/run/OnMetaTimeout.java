package io.distilflux.trainer.run;

import java.util.Locale;

/** What a run does when a meta-parameter update or forecast does not arrive in time. */
public enum OnMetaTimeout {
  /** The run ends with a clear failure (and a checkpoint to resume from). */
  FAIL,
  /**
   * The step trains with the last λ used; the run goes on, counting held steps in
   * {@code distilflux.meta.held.steps} and logging when holding starts and ends.
   */
  HOLD;

  /** The flag value, lower case. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code fail} or {@code hold}. */
  public static OnMetaTimeout parse(String text) {
    for (OnMetaTimeout value : values()) {
      if (value.cliName().equals(text.trim().toLowerCase(Locale.ROOT))) {
        return value;
      }
    }
    throw new IllegalArgumentException("--on-meta-timeout must be fail or hold, got '" + text + "'");
  }
}
