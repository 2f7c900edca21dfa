package io.distilflux.monitor.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.record.RecordedRun;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunReplayTest {

  private static double counted(PrometheusMeterRegistry registry, String name, String run) {
    return registry.find(name).tag("run", run).counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  @Test
  void replayRecomputesEveryRecordedForecastBitForBitUnderTheNewRunTag() {
    RecordedRun run = SyntheticRecording.randomWalk("orig", 2_000, 20, 2, 3);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (RunReplay replay = RunReplay.start(registry, "127.0.0.1", 0)) {
      RunReplay.Result result = replay.replay(run, "orig-replay-1", ReplaySpeed.max());
      int recordedForecasts = run.eventsOf(TrajectoryForecast.class).size();
      assertEquals(50, recordedForecasts);
      assertEquals(recordedForecasts, result.replayedForecasts().size());
      assertEquals(List.of(), result.forecastMismatches());
      for (int i = 0; i < recordedForecasts; i++) {
        TrajectoryForecast recorded = run.eventsOf(TrajectoryForecast.class).get(i);
        TrajectoryForecast replayed = result.replayedForecasts().get(i);
        assertEquals("orig-replay-1", replayed.runId());
        assertEquals(recorded.slope(), replayed.slope());
        assertEquals(recorded.intercept(), replayed.intercept());
      }
      assertEquals(2_000, result.steps());
      assertEquals(2_000, counted(registry, "distilflux.steps", "orig-replay-1"));
      assertEquals(run.eventsOf(HyperGradient.class).size(),
          counted(registry, "distilflux.hypergradient.received", "orig-replay-1"));
      assertEquals(0, counted(registry, "distilflux.steps", "orig"),
          "nothing is shown under the original's tag");
      assertTrue(result.eventsPerSecond() > 0);
    }
  }

  @Test
  void aRecordingWhoseForecastDoesNotFollowFromItsHypergradientsIsReported() {
    RecordedRun run = SyntheticRecording.randomWalk("tampered", 200, 10, 2, 5);
    List<Event> events = new ArrayList<>();
    for (Event e : run.events()) {
      if (e instanceof TrajectoryForecast f && f.periodStart() == 40) {
        Unconstrained s = f.slope();
        e = new TrajectoryForecast(f.schemaVersion(), f.runId(), f.periodStart(), f.fromStep(),
            f.toStep(), new Unconstrained(Math.nextUp(s.b1()), s.b2(), s.b3()), f.intercept(),
            f.residual(), f.points());
      }
      events.add(e);
    }
    try (RunReplay replay = RunReplay.start(
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), "127.0.0.1", 0)) {
      RunReplay.Result result =
          replay.replay(new RecordedRun("tampered", events), "t2", ReplaySpeed.max());
      assertEquals(List.of(40L), result.forecastMismatches());
      assertEquals(run.eventsOf(TrainingStep.class).size(), result.steps());
    }
  }
}
