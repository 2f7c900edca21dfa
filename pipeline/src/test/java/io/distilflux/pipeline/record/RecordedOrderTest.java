package io.distilflux.pipeline.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.Unconstrained;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordedOrderTest {

  private static final int V = Event.CURRENT_SCHEMA_VERSION;
  private static final Unconstrained B = new Unconstrained(0.1, 0.2, 0.3);

  private static TrainingStep step(long t) {
    return new TrainingStep(V, "r", t, 0, Phase.HYPERGRADIENT, 1, 0.5, 0.5,
        new MetaValues(0.5, 0.5, 1), 0.01, 1000 + t);
  }

  private static HyperGradient hg(long t) {
    return new HyperGradient(V, "r", t, B, B, 0.4, 0.1);
  }

  private static MetaParams meta(long version) {
    return new MetaParams(V, "r", version, B.toValues(), B,
        version == 0 ? MetaParamSource.INITIAL : MetaParamSource.OPTIMIZER);
  }

  private static Evaluation evaluation(long t) {
    return new Evaluation(V, "r", t, 0, 0.8, 0.4, 0.7, 0.5);
  }

  @Test
  void topicsAreInterleavedByTheStepEachEventBelongsTo() {
    RunFinished finished = new RunFinished(V, "r", 2, evaluation(1), 2, 0, 1, 1, null, 5000);
    List<Event> merged = RecordedOrder.merge(List.of(
        List.of(step(0), step(1)),
        List.of(hg(0), hg(1)),
        List.of(meta(0), meta(1), meta(2)),
        List.of(),
        List.of(evaluation(1)),
        List.of(finished)));
    assertEquals(List.of(meta(0), step(0), hg(0), meta(1), step(1), hg(1), meta(2),
        evaluation(1), finished), merged);
  }

  @Test
  void theOrderWithinATopicIsNeverChanged() {
    List<Event> merged = RecordedOrder.merge(List.of(List.of(step(3), step(1)), List.of(hg(2))));
    assertEquals(List.of(hg(2), step(3), step(1)), merged,
        "step 1 stays after step 3 as the topic holds them");
  }

  @Test
  void renamingChangesOnlyTheRunIdNestedEvaluationIncluded() {
    RunFinished finished = new RunFinished(V, "r", 2, evaluation(1), 2, 0, 1, 1, null, 5000);
    RecordedRun run = new RecordedRun("r", List.of(step(0), hg(0), meta(1), finished));
    RecordedRun renamed = run.withRunId("r-replay-1");
    assertEquals("r-replay-1", renamed.runId());
    assertEquals(run, renamed.withRunId("r"), "renaming back gives the same events");
    assertEquals("r-replay-1", renamed.finished().orElseThrow().finalEvaluation().runId());
    assertNull(new RecordedRun("r", List.of(new RunFinished(V, "r", 0, null, 0, 0, 0, 0, "x", 1)))
        .withRunId("s").finished().orElseThrow().finalEvaluation());
  }

  @Test
  void renamingKeepsTheExtrasAndTheValidationGradientNorm() {
    var extraB = java.util.Map.of("lambdaC", new io.distilflux.pipeline.event.ExtraValue(0.5, 4));
    List<Event> events = List.of(
        new TrainingStep(V, "r", 0, 0, Phase.HYPERGRADIENT, 1, 0.5, 0.5,
            new MetaValues(0.5, 0.5, 1), 0.01, 1000, java.util.Map.of("lambdaC", 4.0)),
        new HyperGradient(V, "r", 0, B, B, 0.4, 0.1, 2.5, java.util.Map.of("lambdaC",
            new io.distilflux.pipeline.event.ExtraGradient(0.5, -0.1))),
        new MetaParams(V, "r", 1, B.toValues(), B, MetaParamSource.OPTIMIZER, extraB),
        new io.distilflux.pipeline.event.TrajectoryForecast(V, "r", 0, 1, 1, B, B, B, 1,
            java.util.Map.of("lambdaC", new io.distilflux.pipeline.event.ExtraLine(1, 2, 3))));
    RecordedRun run = new RecordedRun("r", events);
    assertEquals(run, run.withRunId("s").withRunId("r"));
  }
}
