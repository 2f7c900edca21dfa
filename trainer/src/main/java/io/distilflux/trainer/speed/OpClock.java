package io.distilflux.trainer.speed;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wall-clock time between consecutive laps, collected per op label ("b0.conv2d", "dense1.gemm");
 * used by {@code NativeOpsProfile} (bench module) to see where a {@link NativeOpsStep} step spends its time.
 * ND4J executes ops synchronously on CPU, so the time up to a lap is the op's own time.
 */
final class OpClock {

  /**
   * With the system property {@code distilflux.profile.cpu=true} laps are the calling thread's
   * CPU time, which other jobs on shared cores inflate far less than wall time (only valid when
   * the ops run on the calling thread: OMP_NUM_THREADS=1, one partition).
   */
  private static final boolean CPU_TIME = Boolean.getBoolean("distilflux.profile.cpu");
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final Map<String, List<Double>> millisByOp = new LinkedHashMap<>();
  private long last = now();

  private static long now() {
    return CPU_TIME ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
  }

  /** Records the time since the previous lap under {@code op}; a null op only restarts the clock. */
  void lap(int block, String op) {
    long now = now();
    if (op != null) {
      String label = block < 0 ? op : "b" + block + "." + op;
      millisByOp.computeIfAbsent(label, k -> new ArrayList<>()).add((now - last) / 1e6);
    }
    last = now();
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
