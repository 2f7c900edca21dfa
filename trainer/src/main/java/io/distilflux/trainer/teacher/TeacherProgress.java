package io.distilflux.trainer.teacher;

import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A progress line while a teacher trains: steps done of the total, the latest batch loss and the
 * time so far, at most every {@value #MIN_GAP_MS} ms when a tenth of the steps is completed and at
 * least every {@value #MAX_GAP_MS} ms, then a last line when training ends.
 */
final class TeacherProgress {

  private static final Logger LOG = LoggerFactory.getLogger(TeacherProgress.class);
  static final long MIN_GAP_MS = 500;
  static final long MAX_GAP_MS = 2000;

  private final String what;
  private final long total;
  private final LongSupplier nanos;
  private final long start;
  private long lastLine;
  private long lastTenth;
  private int lines;
  private double lastLoss = Double.NaN;

  /**
   * @param what names the teacher, e.g. "teacher logreg, seed 1"
   * @param total steps the training will take
   * @param nanos the clock (System::nanoTime outside tests)
   */
  TeacherProgress(String what, long total, LongSupplier nanos) {
    this.what = what;
    this.total = total;
    this.nanos = nanos;
    this.start = nanos.getAsLong();
    this.lastLine = start;
  }

  /** Records that {@code done} steps are finished, the latest with batch loss {@code loss}. */
  void step(long done, double loss) {
    lastLoss = loss;
    long now = nanos.getAsLong();
    long sinceLine = (now - lastLine) / 1_000_000;
    long tenth = total == 0 ? 10 : done * 10 / total;
    boolean newTenth = tenth > lastTenth;
    if (newTenth) {
      lastTenth = tenth;
    }
    if (done < total && (sinceLine >= MAX_GAP_MS || newTenth && sinceLine >= MIN_GAP_MS)) {
      lastLine = now;
      lines++;
      LOG.info("{}: step {}/{} ({} %), loss {}, {} s", what, done, total, done * 100 / total,
          String.format("%.4f", loss), String.format("%.1f", (now - start) / 1e9));
    }
  }

  /** The last line: how long training took. */
  void finished() {
    lines++;
    LOG.info("{}: trained {} steps in {} s, last batch loss {}", what, total,
        String.format("%.2f", (nanos.getAsLong() - start) / 1e9),
        String.format("%.4f", lastLoss));
  }

  /** Lines logged so far, for tests. */
  int lines() {
    return lines;
  }
}
