package io.distilflux.monitor.forecast;

import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: the least-squares fit of one period's trajectory forecast (docs/method.md §4) from the E
 * points of its hypergradient mini-epoch, a random walk in b.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ForecastFitJmh {

  /** E, the points of a hypergradient mini-epoch. */
  @Param({"10", "100"})
  public int miniEpoch;

  private List<TrajectoryPredictor.Point> points;

  /** Draws the points. */
  @Setup
  public void setUp() {
    SplittableRandom random = new SplittableRandom(42);
    points = new ArrayList<>(miniEpoch);
    double[] b = {-0.3, 0.3, -1.0};
    for (int z = 0; z < miniEpoch; z++) {
      for (int i = 0; i < 3; i++) {
        b[i] += random.nextDouble(-0.01, 0.01);
      }
      points.add(new TrajectoryPredictor.Point(z, new Unconstrained(b[0], b[1], b[2])));
    }
  }

  /** Fits the forecast of period 0 with n = 2. */
  @Benchmark
  public TrajectoryForecast fit() {
    return TrajectoryPredictor.predict("run", 0, miniEpoch, 2, points);
  }
}
