package io.distilflux.pipeline.record;

import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import java.util.Optional;

/**
 * One recorded run as the runs topic knows it.
 *
 * @param runId the run
 * @param started its start event with the resolved configuration, when recorded
 * @param finished its end event with the final evaluation, when the run ended
 */
public record RecordedRunSummary(
    String runId, Optional<RunStarted> started, Optional<RunFinished> finished) {

  /** {@code finished}, {@code failed}, or {@code incomplete} (no RunFinished recorded). */
  public String status() {
    if (finished.isEmpty()) {
      return "incomplete";
    }
    return finished.get().failure() == null ? "finished" : "failed";
  }

  /** Test accuracy of the final evaluation, NaN when there is none. */
  public double finalTestAccuracy() {
    return finished.map(RunFinished::finalEvaluation)
        .map(e -> e.testAccuracy())
        .orElse(Double.NaN);
  }
}
