package io.distilflux.trainer.speed;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wall-clock time between consecutive laps, collected per op label ("b0.conv2d", "dense1.gemm");
 * used by {@link NativeOpsProfile} to see where a {@link NativeOpsStep} step spends its time.
 * ND4J executes ops synchronously on CPU, so the time up to a lap is the op's own time.
 */
final class OpClock {

  private final Map<String, List<Double>> millisByOp = new LinkedHashMap<>();
  private long last = System.nanoTime();

  /** Records the time since the previous lap under {@code op}; a null op only restarts the clock. */
  void lap(int block, String op) {
    long now = System.nanoTime();
    if (op != null) {
      String label = block < 0 ? op : "b" + block + "." + op;
      millisByOp.computeIfAbsent(label, k -> new ArrayList<>()).add((now - last) / 1e6);
    }
    last = System.nanoTime();
  }

  /** Forgets every recorded lap (after warm-up). */
  void reset() {
    millisByOp.clear();
  }

  /** Recorded laps in milliseconds, per op label in first-seen order. */
  Map<String, List<Double>> laps() {
    return millisByOp;
  }
}
