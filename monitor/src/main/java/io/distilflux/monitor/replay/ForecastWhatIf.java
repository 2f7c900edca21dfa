package io.distilflux.monitor.replay;

import io.distilflux.monitor.forecast.TrajectoryPredictor;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.record.RecordedRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What-if of the trajectory prediction (docs/method.md §4) on a recorded run: re-runs only the
 * {@link TrajectoryPredictor} with another mini-epoch E and period n and measures how far its
 * lines land from the recorded trajectory, without retraining.
 *
 * <p>The recorded trajectory b(t) is the b each step used: the {@code at} of the step's
 * hypergradient where one was computed, else the recorded forecast line covering the step.
 * For every period [P, P + nE) the line is fitted, as the monitor fits it, to the recorded
 * hypergradient points of [P, P + E) in step order (points with a non-finite b left out), and
 * compared with b(t) at every recorded step of [P + E, P + nE). A period without a
 * hypergradient point in its fitting window is skipped and counted.
 *
 * <p>With the run's own E and n on a {@code forecast} run the lines are the recorded ones and
 * the error is exactly zero; on a {@code hypergradient} run (hypergradients at every step) it
 * is the error the forecast would have made against the optimised trajectory.
 */
public final class ForecastWhatIf {

  private ForecastWhatIf() {}

  /**
   * The forecast error of one (E, n).
   *
   * @param miniEpoch E
   * @param forecastEvery n
   * @param periods periods whose line was fitted
   * @param skippedPeriods periods without a recorded hypergradient point to fit
   * @param comparedSteps forecast steps compared with the recorded trajectory
   * @param rmsB root-mean-square of b_forecast − b_recorded per coordinate (b1, b2, b3)
   * @param maxB largest |b_forecast − b_recorded| per coordinate
   * @param rmsLambda root-mean-square of the difference in λ1, λ2 and T
   * @param maxLambda largest absolute difference in λ1, λ2 and T
   */
  public record Error(int miniEpoch, int forecastEvery, int periods, int skippedPeriods,
      long comparedSteps, double[] rmsB, double[] maxB, double[] rmsLambda, double[] maxLambda) {

    /** Share of the hypergradient work this (E, n) saves: (n − 1)/n. */
    public double savedShare() {
      return (forecastEvery - 1) / (double) forecastEvery;
    }
  }

  /**
   * Evaluates the forecast with mini-epoch E and period n on the run.
   *
   * @throws IllegalArgumentException when E or n is below 2, or the run recorded no
   *     hypergradient
   */
  public static Error evaluate(RecordedRun run, int miniEpoch, int forecastEvery) {
    if (miniEpoch < 2) {
      throw new IllegalArgumentException("--mini-epoch must be >= 2, got " + miniEpoch);
    }
    if (forecastEvery < 2) {
      throw new IllegalArgumentException("--forecast-every must be >= 2, got " + forecastEvery);
    }
    TreeMap<Long, Unconstrained> points = new TreeMap<>();
    for (HyperGradient hg : run.eventsOf(HyperGradient.class)) {
      if (hg.step() >= 0 && hg.at() != null && hg.at().isFinite()) {
        points.putIfAbsent(hg.step(), hg.at());
      }
    }
    if (points.isEmpty()) {
      String mode = run.started().map(s -> s.config().mode().cliName()).orElse("unknown");
      throw new IllegalArgumentException("run " + run.runId()
          + " recorded no hypergradient trajectory (mode " + mode + ")");
    }
    long lastStep = run.eventsOf(TrainingStep.class).stream()
        .mapToLong(TrainingStep::step).max().orElse(points.lastKey());
    Map<Long, Unconstrained> recorded = recordedTrajectory(run, points, lastStep);

    long period = (long) miniEpoch * forecastEvery;
    double[] sumB = new double[3];
    double[] maxB = new double[3];
    double[] sumL = new double[3];
    double[] maxL = new double[3];
    int periods = 0;
    int skipped = 0;
    long compared = 0;
    for (long start = 0; start <= lastStep; start += period) {
      List<TrajectoryPredictor.Point> window = new ArrayList<>();
      points.subMap(start, start + miniEpoch)
          .forEach((step, at) -> window.add(new TrajectoryPredictor.Point(step, at)));
      if (window.isEmpty()) {
        skipped++;
        continue;
      }
      TrajectoryForecast line = TrajectoryPredictor.predict(run.runId(), start, miniEpoch,
          forecastEvery, window);
      periods++;
      for (long t = line.fromStep(); t <= Math.min(line.toStep(), lastStep); t++) {
        Unconstrained actual = recorded.get(t);
        if (actual == null) {
          continue;
        }
        Unconstrained predicted = line.at(t);
        double[] lp = lambdas(predicted.toValues());
        double[] la = lambdas(actual.toValues());
        for (int i = 0; i < 3; i++) {
          double db = predicted.get(i) - actual.get(i);
          sumB[i] += db * db;
          maxB[i] = Math.max(maxB[i], Math.abs(db));
          double dl = lp[i] - la[i];
          sumL[i] += dl * dl;
          maxL[i] = Math.max(maxL[i], Math.abs(dl));
        }
        compared++;
      }
    }
    double[] rmsB = new double[3];
    double[] rmsL = new double[3];
    for (int i = 0; i < 3; i++) {
      rmsB[i] = compared == 0 ? Double.NaN : Math.sqrt(sumB[i] / compared);
      rmsL[i] = compared == 0 ? Double.NaN : Math.sqrt(sumL[i] / compared);
      if (compared == 0) {
        maxB[i] = Double.NaN;
        maxL[i] = Double.NaN;
      }
    }
    return new Error(miniEpoch, forecastEvery, periods, skipped, compared, rmsB, maxB, rmsL,
        maxL);
  }

  /** b(t) as recorded: hypergradient points, then the recorded forecast lines elsewhere. */
  private static Map<Long, Unconstrained> recordedTrajectory(RecordedRun run,
      TreeMap<Long, Unconstrained> points, long lastStep) {
    TreeMap<Long, Unconstrained> trajectory = new TreeMap<>(points);
    for (TrajectoryForecast forecast : run.eventsOf(TrajectoryForecast.class)) {
      for (long t = forecast.fromStep(); t <= Math.min(forecast.toStep(), lastStep); t++) {
        trajectory.putIfAbsent(t, forecast.at(t));
      }
    }
    return trajectory;
  }

  private static double[] lambdas(MetaValues values) {
    return new double[] {values.lambda1(), values.lambda2(), values.temperature()};
  }
}
