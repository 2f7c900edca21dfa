package io.distilflux.monitor.forecast;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.ExtraLine;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import java.util.List;

/**
 * The linear trajectory prediction of docs/method.md §4 (paper eq. 12): one least-squares line per
 * coordinate of b, and per extra coordinate of the run, fitted to the points of a hypergradient
 * mini-epoch, extrapolated over the forecast mini-epochs of the same period.
 */
public final class TrajectoryPredictor {

  private TrajectoryPredictor() {}

  /**
   * A recorded point of the trajectory.
   *
   * @param step global step index
   * @param at the b that step used
   * @param extra the extra coordinates that step used, by name (those of the run's
   *     declared names the step carried)
   */
  public record Point(long step, Unconstrained at, java.util.Map<String, Double> extra) {

    /** Copies the extras. */
    public Point {
      extra = java.util.Map.copyOf(extra);
    }

    /** A point of b alone. */
    public Point(long step, Unconstrained at) {
      this(step, at, java.util.Map.of());
    }
  }

  /**
   * Fits the forecast of one period.
   *
   * @param runId the run
   * @param periodStart first step of the period, p·n·E
   * @param miniEpoch E
   * @param forecastEvery n, mini-epochs per period
   * @param points recorded points of the period's hypergradient mini-epoch, any order, at
   *     least one, all with finite b and steps in [periodStart, periodStart + E)
   * @return the forecast covering steps [periodStart + E, periodStart + n·E − 1]
   */
  public static TrajectoryForecast predict(
      String runId, long periodStart, int miniEpoch, int forecastEvery, List<Point> points) {
    if (miniEpoch < 1) {
      throw new IllegalArgumentException("miniEpoch must be at least 1, got " + miniEpoch);
    }
    if (forecastEvery < 2) {
      throw new IllegalArgumentException(
          "forecastEvery must be at least 2 to leave a forecast mini-epoch, got "
              + forecastEvery);
    }
    if (points.isEmpty()) {
      throw new IllegalArgumentException("no points recorded for period " + periodStart);
    }
    int n = points.size();
    double[] z = new double[n];
    double[][] y = new double[3][n];
    for (int k = 0; k < n; k++) {
      Point point = points.get(k);
      long offset = point.step() - periodStart;
      if (offset < 0 || offset >= miniEpoch) {
        throw new IllegalArgumentException(
            "step " + point.step() + " is outside the hypergradient mini-epoch of period "
                + periodStart);
      }
      z[k] = offset;
      for (int i = 0; i < 3; i++) {
        y[i][k] = point.at().get(i);
      }
    }
    double[] slope = new double[3];
    double[] intercept = new double[3];
    double[] residual = new double[3];
    for (int i = 0; i < 3; i++) {
      LeastSquaresLine line = LeastSquaresLine.fit(z, y[i]);
      slope[i] = line.slope();
      intercept[i] = line.intercept();
      residual[i] = line.residual();
    }
    // Each extra coordinate gets the same line, fitted to the points that carry it finite.
    java.util.Map<String, ExtraLine> extra = new java.util.TreeMap<>();
    java.util.Set<String> names = new java.util.TreeSet<>();
    points.forEach(point -> names.addAll(point.extra().keySet()));
    for (String name : names) {
      List<double[]> xy = points.stream()
          .filter(point -> Double.isFinite(point.extra().getOrDefault(name, Double.NaN)))
          .map(point -> new double[] {point.step() - periodStart, point.extra().get(name)})
          .toList();
      if (!xy.isEmpty()) {
        LeastSquaresLine line = LeastSquaresLine.fit(
            xy.stream().mapToDouble(p -> p[0]).toArray(),
            xy.stream().mapToDouble(p -> p[1]).toArray());
        extra.put(name, new ExtraLine(line.slope(), line.intercept(), line.residual()));
      }
    }
    long periodLength = (long) miniEpoch * forecastEvery;
    return new TrajectoryForecast(
        Event.CURRENT_SCHEMA_VERSION,
        runId,
        periodStart,
        periodStart + miniEpoch,
        periodStart + periodLength - 1,
        Unconstrained.of(slope),
        Unconstrained.of(intercept),
        Unconstrained.of(residual),
        n,
        extra);
  }
}
