package io.distilflux.monitor.forecast;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.ExtraLine;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunConfig;
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
   * Fits the forecast of one period of a run to the hypergradients of its hypergradient
   * mini-epoch, as the monitor publishes it: each step's b and the extra coordinates the run
   * declared, where finite. A trainer that runs ahead of the monitor fits its own forecasts with
   * this same method, so the two agree bit for bit.
   *
   * @param window the period's hypergradients in step order, one a step
   * @return the forecast, or null when no step of the window has a finite b
   */
  public static TrajectoryForecast predict(String runId, RunConfig config, long periodStart,
      java.util.Collection<HyperGradient> window) {
    List<Point> points = new java.util.ArrayList<>();
    for (HyperGradient point : window) {
      // A step whose b is not finite carries no information about the trajectory.
      if (point.at().isFinite()) {
        points.add(new Point(point.step(), point.at(), declaredExtras(config, point)));
      }
    }
    return points.isEmpty() ? null
        : predict(runId, periodStart, config.miniEpoch(), config.forecastEvery(), points);
  }

  /** The point's extra coordinates of the names the run declared; others are ignored. */
  private static java.util.Map<String, Double> declaredExtras(RunConfig config,
      HyperGradient point) {
    java.util.Map<String, Double> extra = new java.util.HashMap<>();
    for (String name : config.extraMeta().keySet()) {
      var coordinate = point.extra().get(name);
      if (coordinate != null && Double.isFinite(coordinate.at())) {
        extra.put(name, coordinate.at());
      }
    }
    return extra;
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
