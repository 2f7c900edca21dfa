package io.distilflux.trainer.cli;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The protocols {@code --protocol} names: settings, keyed like the {@code --config} file, that
 * stand in for flags given neither on the command line nor in the file.
 */
enum Protocol {

  /**
   * The reference notebook's synthetic experiment: its data set (numpy seed 42), its ten
   * restarts, Adam 1e-3 for the student, validation on the test set, E = 10, n = 2, the reverse
   * divergence its code computes, its hypergradient (which differentiates the virtual step as an
   * SGD step, leaving Adam's preconditioner out), and its meta step, which works out to η / ‖v‖² = 10 / ‖v‖²
   * times the hypergradient clipped at 1e4 (its clip of 1 on a hypergradient scaled by
   * 1e-4 / ‖v‖²).
   */
  PAPER("dataset", "synthetic", "data-seed", "42", "first-seed", "0", "seeds", "10",
      "iterations", "20000", "optimizer", "adam", "lr", "0.001", "validation-is-test", "true",
      "mini-epoch", "10", "forecast-every", "2", "divergence", "reverse",
      "unrolled-derivative", "sgd",
      "meta-optimizer", "normalized", "meta-lr", "10", "meta-clip", "10000");

  private final Map<String, String> settings;

  Protocol(String... keyValues) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      map.put(keyValues[i], keyValues[i + 1]);
    }
    this.settings = Collections.unmodifiableMap(map);
  }

  /** The protocol's settings, keyed by long flag name without dashes. */
  Map<String, String> settings() {
    return settings;
  }
}
