package io.distilflux.monitor;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.Unconstrained;

/** Small events for tests. */
public final class TestEvents {

  private TestEvents() {}

  /** A run start with the given mode, E and n. */
  public static RunStarted started(String runId, RunConfig.Mode mode, int miniEpoch, int every) {
    RunConfig config =
        new RunConfig(
            RunConfig.DatasetKind.SYNTHETIC, "", mode, 42, 1, 1000, 0, "teacher", "student",
            RunConfig.OptimizerKind.SGD, 0.1, RunConfig.OptimizerKind.ADAM, 0.01, 1.0,
            miniEpoch, every, new Unconstrained(0, 0, 0), false, 100, 4, false);
    return new RunStarted(
        Event.CURRENT_SCHEMA_VERSION, runId, config, 1_000L,
        new Provenance("test", "17", "host", "nd4j-native"));
  }

  /** A hypergradient after {@code step} that used b = at. */
  public static HyperGradient hyperGradient(String runId, long step, Unconstrained at) {
    return new HyperGradient(
        Event.CURRENT_SCHEMA_VERSION, runId, step, at, new Unconstrained(0.3, 0.4, 1.2), 0.5,
        0.1);
  }

  /** A training step of the given phase ending at {@code timestampMillis}. */
  public static TrainingStep step(String runId, long step, Phase phase, long timestampMillis) {
    return new TrainingStep(
        Event.CURRENT_SCHEMA_VERSION, runId, step, 0, phase, 0.9, 0.6, 0.3,
        new MetaValues(0.7, 0.2, 3.0), 0.25, timestampMillis);
  }

  /** An evaluation. */
  public static Evaluation evaluation(String runId, long step) {
    return new Evaluation(Event.CURRENT_SCHEMA_VERSION, runId, step, 0, 0.81, 0.45, 0.79, 0.5);
  }

  /** A successful run end. */
  public static RunFinished finished(String runId, double wallSeconds, double hgSeconds) {
    return new RunFinished(
        Event.CURRENT_SCHEMA_VERSION, runId, 100, evaluation(runId, 100), 50, 50, wallSeconds,
        hgSeconds, null, 2_000L);
  }
}
