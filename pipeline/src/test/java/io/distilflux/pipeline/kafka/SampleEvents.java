package io.distilflux.pipeline.kafka;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;

/** One instance of every event type, with awkward values where the contract allows them. */
final class SampleEvents {

  private static final int V = Event.CURRENT_SCHEMA_VERSION;

  private SampleEvents() {}

  static TrainingStep step(String run, long step) {
    return new TrainingStep(
        V, run, step, (int) (step / 100), Phase.HYPERGRADIENT, 1.25, 1.0, 0.25,
        new MetaValues(0.6, 0.4, 3.5), 0.012, 1_700_000_000_000L + step);
  }

  static HyperGradient hyperGradientWithNaN(String run) {
    return new HyperGradient(
        V, run, 7, new Unconstrained(0.1, -0.2, 0.3),
        new Unconstrained(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY),
        Double.NaN, 0.01);
  }

  static MetaParams metaParams(String run) {
    Unconstrained b = new Unconstrained(0.5, -1.0, 2.0);
    return new MetaParams(V, run, 8, b.toValues(), b, MetaParamSource.OPTIMIZER);
  }

  static TrajectoryForecast forecast(String run) {
    return new TrajectoryForecast(
        V, run, 100, 110, 199, new Unconstrained(1e-3, -2e-3, 0),
        new Unconstrained(0.5, 0.5, 0.5), new Unconstrained(0.01, 0.02, 0.03), 10);
  }

  static Evaluation evaluation(String run) {
    return new Evaluation(V, run, 200, 2, 0.91, 0.31, 0.9, 0.33);
  }

  static RunStarted runStarted(String run) {
    RunConfig config =
        new RunConfig(
            RunConfig.DatasetKind.SYNTHETIC, "", RunConfig.Mode.FORECAST, 42, 3, 300, 64,
            "mlp-teacher", "mlp-student", RunConfig.OptimizerKind.SGD, 0.1,
            RunConfig.OptimizerKind.ADAM, 0.01, 1.0, 10, 5, new Unconstrained(0, 0, 0), false,
            50, 2, true);
    return new RunStarted(V, run, config, 1_700_000_000_000L,
        new Provenance("dev", "17", "host-ü", "nd4j-native"));
  }

  static RunFinished runFinished(String run) {
    return new RunFinished(V, run, 300, evaluation(run), 60, 240, 12.5, 3.25, null, 1_700_000_100_000L);
  }

  static RunFinished runFailed(String run) {
    return new RunFinished(V, run, 3, null, 0, 0, 0.5, 0, "student diverged: loss NaN \"quoted\"", 1L);
  }
}
