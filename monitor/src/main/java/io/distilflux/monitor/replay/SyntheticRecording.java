package io.distilflux.monitor.replay;

import io.distilflux.monitor.forecast.TrajectoryPredictor;
import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.record.RecordedRun;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongFunction;

/**
 * A generated recording with the events a real run publishes, in recorded order, for the
 * replay benchmark and tests: no training, the trajectory b(t) of the hypergradient steps is
 * given (or a random walk), forecasts are fitted by the {@link TrajectoryPredictor} as the
 * monitor fits them, and forecast steps follow the lines.
 */
public final class SyntheticRecording {

  private static final long START_MILLIS = 1_700_000_000_000L;

  private SyntheticRecording() {}

  /**
   * A run of the given mode ({@code FORECAST} or {@code HYPERGRADIENT}) whose hypergradient
   * steps use b = {@code trajectory(t)}; forecast steps use the fitted line.
   *
   * @param stepMillis recorded wall time of one step
   */
  public static RecordedRun run(String runId, RunConfig.Mode mode, long steps, int miniEpoch,
      int forecastEvery, long stepMillis, LongFunction<Unconstrained> trajectory) {
    if (mode != RunConfig.Mode.FORECAST && mode != RunConfig.Mode.HYPERGRADIENT) {
      throw new IllegalArgumentException("only forecast and hypergradient runs, got " + mode);
    }
    RunConfig config = new RunConfig(RunConfig.DatasetKind.SYNTHETIC, "", mode, 1, 1, steps, 0,
        "logreg", "logreg", RunConfig.OptimizerKind.SGD, 0.1, RunConfig.OptimizerKind.SGD, 1.0,
        1.0, miniEpoch, forecastEvery, trajectory.apply(0), false, 1000, 0, true);
    List<Event> events = new ArrayList<>();
    int v = Event.CURRENT_SCHEMA_VERSION;
    events.add(new RunStarted(v, runId, config, START_MILLIS,
        new Provenance("synthetic", System.getProperty("java.version"), "generated", "none")));
    events.add(new MetaParams(v, runId, 0, config.initial().toValues(), config.initial(),
        MetaParamSource.INITIAL));
    long period = (long) miniEpoch * forecastEvery;
    List<TrajectoryPredictor.Point> window = new ArrayList<>();
    TrajectoryForecast line = null;
    Evaluation last = null;
    long hypergradientSteps = 0;
    for (long t = 0; t < steps; t++) {
      Phase phase = config.phaseOf(t);
      Unconstrained b = phase == Phase.FORECAST ? line.at(t) : trajectory.apply(t);
      double loss = 1.0 / (1 + t * 1e-3);
      events.add(new TrainingStep(v, runId, t, 0, phase, loss, 0.6 * loss, 0.4 * loss,
          b.toValues(), stepMillis / 1e3, START_MILLIS + (t + 1) * stepMillis));
      if (phase == Phase.HYPERGRADIENT) {
        hypergradientSteps++;
        Unconstrained next = trajectory.apply(t + 1);
        events.add(new HyperGradient(v, runId, t, b,
            new Unconstrained(b.b1() - next.b1(), b.b2() - next.b2(), b.b3() - next.b3()),
            loss, 0.1));
        events.add(new MetaParams(v, runId, t + 1, next.toValues(), next,
            MetaParamSource.OPTIMIZER));
        if (mode == RunConfig.Mode.FORECAST) {
          window.add(new TrajectoryPredictor.Point(t, b));
          if (t % period == miniEpoch - 1) {
            line = TrajectoryPredictor.predict(runId, t - (miniEpoch - 1), miniEpoch,
                forecastEvery, window);
            events.add(line);
            window.clear();
          }
        }
      }
      if ((t + 1) % config.evaluateEvery() == 0 || t == steps - 1) {
        last = new Evaluation(v, runId, t, 0, 0.8, 0.45, 0.79, 0.5);
        events.add(last);
      }
    }
    events.add(new RunFinished(v, runId, steps, last, hypergradientSteps,
        steps - hypergradientSteps, steps * stepMillis / 1e3, hypergradientSteps * stepMillis / 1e3,
        null, START_MILLIS + (steps + 1) * stepMillis));
    return new RecordedRun(runId, events);
  }

  /** A forecast run whose hypergradient steps take a seeded random walk. */
  public static RecordedRun randomWalk(String runId, long steps, int miniEpoch,
      int forecastEvery, long seed) {
    double[][] walk = new double[3][(int) steps + 1];
    SplittableRandom random = new SplittableRandom(seed);
    for (int t = 1; t <= steps; t++) {
      for (int i = 0; i < 3; i++) {
        walk[i][t] = walk[i][t - 1] + 0.01 * (random.nextDouble() - 0.45);
      }
    }
    return run(runId, RunConfig.Mode.FORECAST, steps, miniEpoch, forecastEvery, 5,
        t -> new Unconstrained(walk[0][(int) t], walk[1][(int) t], walk[2][(int) t]));
  }
}
