package io.distilflux.trainer.cli;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A text progress bar per run. Runs train concurrently, so each run prints a bar line whenever
 * it crosses another tenth of its steps (and when it ends) rather than redrawing one line.
 */
final class ProgressBoard {

  private static final int WIDTH = 20;

  private final PrintStream out;
  private final String unit;
  private final Map<String, Integer> printedTenths = new ConcurrentHashMap<>();

  ProgressBoard(PrintStream out) {
    this(out, "steps");
  }

  /** A board counting {@code unit} (steps of a run, files of a report). */
  ProgressBoard(PrintStream out, String unit) {
    this.out = out;
    this.unit = unit;
  }

  /** Reports that {@code label} has trained {@code done} of {@code total} steps. */
  void progress(String label, long done, long total, double lastAccuracy) {
    int tenths = total == 0 ? 10 : (int) (10 * done / total);
    Integer before = printedTenths.put(label, tenths);
    if (before == null || tenths > before) {
      print(label, done, total, lastAccuracy, "");
    }
  }

  /** Reports the end of a run. */
  void finished(String label, long done, long total, double accuracy, String failure) {
    print(label, done, total, accuracy, failure == null ? " done" : " FAILED: " + failure);
  }

  private void print(String label, long done, long total, double accuracy, String suffix) {
    int filled = total == 0 ? WIDTH : (int) (WIDTH * Math.min(done, total) / total);
    String bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
    String acc = Double.isNaN(accuracy) ? "" : String.format("  test acc %.4f", accuracy);
    synchronized (out) {
      out.printf("%-34s [%s] %3d%% %d/%d %s%s%s%n", label, bar,
          total == 0 ? 100 : (int) (100 * done / total), done, total, unit, acc, suffix);
    }
  }
}
