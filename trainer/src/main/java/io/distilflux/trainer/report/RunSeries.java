package io.distilflux.trainer.report;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.record.RecordedRun;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What a report needs of one recorded run, extracted once so the run's events can be dropped:
 * its configuration, its evaluations, the λ used at every step with the step's phase, and the
 * forecast windows.
 *
 * @param runId the run
 * @param config the resolved configuration from {@code RunStarted}
 * @param evaluations the evaluations, by step
 * @param steps the training steps' indices, ascending
 * @param phases the phase of each step
 * @param lambda1 λ1 of each step
 * @param lambda2 λ2 of each step
 * @param temperature T of each step
 * @param forecastWindows the [fromStep, toStep] of every trajectory forecast
 * @param finished the run's end, if recorded
 */
public record RunSeries(
    String runId,
    RunConfig config,
    List<Evaluation> evaluations,
    long[] steps,
    Phase[] phases,
    double[] lambda1,
    double[] lambda2,
    double[] temperature,
    List<long[]> forecastWindows,
    Optional<RunFinished> finished) {

  /**
   * Extracts the series of a recorded run.
   *
   * @throws IllegalArgumentException when the run has no {@code RunStarted} (its mode is unknown)
   *     or no evaluation
   */
  public static RunSeries of(RecordedRun run, String source) {
    RunConfig config = run.started()
        .orElseThrow(() -> new IllegalArgumentException(source
            + ": run " + run.runId() + " has no RunStarted event, so its mode is unknown"))
        .config();
    List<Evaluation> evaluations = run.eventsOf(Evaluation.class).stream()
        .sorted(Comparator.comparingLong(Evaluation::step))
        .toList();
    if (evaluations.isEmpty()) {
      throw new IllegalArgumentException(source + ": run " + run.runId() + " has no Evaluation event");
    }
    List<TrainingStep> training = new ArrayList<>(run.eventsOf(TrainingStep.class));
    training.sort(Comparator.comparingLong(TrainingStep::step));
    int n = training.size();
    long[] steps = new long[n];
    Phase[] phases = new Phase[n];
    double[] l1 = new double[n];
    double[] l2 = new double[n];
    double[] t = new double[n];
    for (int i = 0; i < n; i++) {
      TrainingStep s = training.get(i);
      steps[i] = s.step();
      phases[i] = s.phase();
      l1[i] = s.meta().lambda1();
      l2[i] = s.meta().lambda2();
      t[i] = s.meta().temperature();
    }
    List<long[]> windows = run.eventsOf(TrajectoryForecast.class).stream()
        .map(f -> new long[] {f.fromStep(), f.toStep()})
        .toList();
    return new RunSeries(run.runId(), config, evaluations, steps, phases, l1, l2, t, windows,
        run.finished());
  }

  /** The test accuracy of the last evaluation (the run's result). */
  public double finalTestAccuracy() {
    return evaluations.get(evaluations.size() - 1).testAccuracy();
  }

  /** Whether every event needed was present: the run finished without failure. */
  public boolean succeeded() {
    return finished.isPresent() && finished.get().failure() == null;
  }

  /** The index of the last training step, or -1 when none was recorded. */
  int last() {
    return steps.length - 1;
  }

}
