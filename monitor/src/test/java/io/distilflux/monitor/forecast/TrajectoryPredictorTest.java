package io.distilflux.monitor.forecast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.distilflux.monitor.forecast.TrajectoryPredictor.Point;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrajectoryPredictorTest {

  private static final double EPS = 1e-12;

  @Test
  void fitsEachCoordinateAndCoversTheForecastMiniEpochs() {
    // Period 1 of E = 4, n = 3 starts at step 12; b1 exact line, b2 constant, b3 noisy.
    List<Point> points =
        List.of(
            new Point(12, new Unconstrained(1.0, -2.0, 1)),
            new Point(13, new Unconstrained(1.5, -2.0, 3)),
            new Point(14, new Unconstrained(2.0, -2.0, 2)),
            new Point(15, new Unconstrained(2.5, -2.0, 5)));
    TrajectoryForecast forecast = TrajectoryPredictor.predict("run", 12, 4, 3, points);

    assertEquals(12, forecast.periodStart());
    assertEquals(16, forecast.fromStep());
    assertEquals(23, forecast.toStep());
    assertEquals(4, forecast.points());
    assertEquals(new Unconstrained(0.5, 0, 1.1).b1(), forecast.slope().b1(), EPS);
    assertEquals(0, forecast.slope().b2(), EPS);
    assertEquals(1.1, forecast.slope().b3(), EPS);
    assertEquals(1.0, forecast.intercept().b1(), EPS);
    assertEquals(-2.0, forecast.intercept().b2(), EPS);
    assertEquals(1.1, forecast.intercept().b3(), EPS);
    assertEquals(0, forecast.residual().b1(), EPS);
    assertEquals(0, forecast.residual().b2(), EPS);
    assertEquals(Math.sqrt(0.675), forecast.residual().b3(), EPS);
    // The next period starts where the line ends: z = n·E = 12.
    assertEquals(7.0, forecast.at(24).b1(), EPS);
  }

  @Test
  void aSinglePointForecastsItsValue() {
    TrajectoryForecast forecast =
        TrajectoryPredictor.predict(
            "run", 0, 1, 2, List.of(new Point(0, new Unconstrained(0.3, 0.4, 0.5))));
    assertEquals(new Unconstrained(0, 0, 0), forecast.slope());
    assertEquals(new Unconstrained(0.3, 0.4, 0.5), forecast.intercept());
    assertEquals(1, forecast.fromStep());
    assertEquals(1, forecast.toStep());
  }

  @Test
  void rejectsPointsOutsideTheHypergradientMiniEpoch() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                TrajectoryPredictor.predict(
                    "run", 0, 4, 2, List.of(new Point(4, new Unconstrained(0, 0, 0)))));
    assertEquals("step 4 is outside the hypergradient mini-epoch of period 0", e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> TrajectoryPredictor.predict("run", 0, 4, 1, List.of()));
  }
}
