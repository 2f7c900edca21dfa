package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.monitor.forecast.TrajectoryPredictor;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.meta.MetaUpdateRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** A {@link StreamedMetaSource} that runs ahead of the meta-optimizer (see its class comment). */
class RunningAheadTest {

  private static final Duration SHORT = Duration.ofMillis(200);
  private static final Unconstrained START = new Unconstrained(0.1, -0.2, -1.0);
  private static final Unconstrained GRADIENT = new Unconstrained(0.3, -0.4, 0.05);
  private static final Topics TOPICS = Topics.defaults();

  @Test
  void aStepTrainsOnTheRunsOwnUpdateUntilTooManyWaitToBeMatched() throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus();
        StreamedMetaSource source = ahead(bus, RunConfig.OptimizerKind.ADAM, 2)) {
      Expected rule = new Expected(RunConfig.OptimizerKind.ADAM);
      assertTrue(source.runsAhead());
      Unconstrained b1 = trainStep(source, 0, START, rule);
      Unconstrained b2 = trainStep(source, 1, b1, rule);
      Unconstrained b3 = trainStep(source, 2, b2, rule);
      // versions 1, 2 and 3 wait to be matched: more than two, so step 3 waits
      assertNull(source.ready(3));
      MetaTimeoutException late =
          assertThrows(MetaTimeoutException.class, () -> source.pointFor(3, SHORT));
      assertTrue(late.getMessage().contains("step 1 matching"), late.getMessage());
      publish(bus, update(1, b1));
      assertEquals(b3, source.pointFor(3, SHORT).b());
      assertThrows(MetaTimeoutException.class, () -> source.awaitConfirmed(SHORT));
      publish(bus, update(2, b2), update(3, b3));
      assertDoesNotThrow(() -> source.awaitConfirmed(SHORT));
    }
  }

  @Test
  void anUpdateThatDiffersIsNotTakenAndTheTimeoutSaysWhatDiffered() throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus();
        StreamedMetaSource source = ahead(bus, RunConfig.OptimizerKind.SGD, 8)) {
      Unconstrained own = trainStep(source, 0, START, new Expected(RunConfig.OptimizerKind.SGD));
      Unconstrained other = new Unconstrained(own.b1() + 1e-12, own.b2(), own.b3());
      publish(bus, update(1, other));
      assertEquals(own, source.pointFor(1, SHORT).b()); // still the run's own
      MetaTimeoutException timeout =
          assertThrows(MetaTimeoutException.class, () -> source.awaitConfirmed(SHORT));
      assertTrue(timeout.getMessage().contains("1 record(s) that differed"), timeout.getMessage());
      assertTrue(timeout.getMessage().contains("update 1 came as"), timeout.getMessage());
      publish(bus, update(1, own));
      assertDoesNotThrow(() -> source.awaitConfirmed(SHORT));
    }
  }

  @Test
  void aRunHeldBackByAnAbsentMetaOptimizerKeepsNoMoreThanItsBound() throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus();
        StreamedMetaSource source = ahead(bus, RunConfig.OptimizerKind.SGD, 2)) {
      // --on-meta-timeout hold: every step trains on, at the held λ, and sends its hypergradient
      for (long step = 0; step < 1_000; step++) {
        source.hyperGradientComputed(hyperGradient(step, START));
      }
      assertTrue(source.retained() <= 3, "held " + source.retained());
    }
  }

  @Test
  void aRunThatWaitsComputesNoUpdateOfItsOwn() throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus();
        StreamedMetaSource source = ahead(bus, RunConfig.OptimizerKind.SGD, 0)) {
      assertFalse(source.runsAhead());
      source.hyperGradientComputed(hyperGradient(0, START));
      assertNull(source.ready(1));
      assertDoesNotThrow(() -> source.awaitConfirmed(Duration.ZERO));
    }
  }

  @Test
  void aNonFiniteHyperGradientLeavesTheStepToWaitForTheMetaOptimizer() throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus();
        StreamedMetaSource source = ahead(bus, RunConfig.OptimizerKind.SGD, 8)) {
      source.hyperGradientComputed(new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "run-a", 0,
          START, new Unconstrained(Double.NaN, 0, 0), 0.5, 0.1, 1.0, Map.of()));
      assertNull(source.ready(1));
      publish(bus, update(1, START)); // the service keeps the point
      assertEquals(START, source.pointFor(1, SHORT).b());
    }
  }

  @Test
  void aForecastRunTrainsItsForecastWindowOnTheLineItFitsAsTheMonitorWould() throws Exception {
    RunConfig config = config(RunConfig.Mode.FORECAST, RunConfig.OptimizerKind.SGD); // E 4, n 2
    try (InMemoryEventBus bus = new InMemoryEventBus();
        StreamedMetaSource source = new StreamedMetaSource(bus, TOPICS, "run-a", config, START,
            64)) {
      List<HyperGradient> window = new ArrayList<>();
      Unconstrained at = START;
      for (long step = 0; step < 4; step++) {
        assertEquals(at, source.ready(step).b(), "step " + step);
        HyperGradient gradient = hyperGradient(step, at);
        window.add(gradient);
        source.hyperGradientComputed(gradient);
        if (step < 3) {
          at = source.ready(step + 1).b();
        }
      }
      TrajectoryForecast line = TrajectoryPredictor.predict("run-a", config, 0, window);
      for (long step = 4; step < 8; step++) {
        assertEquals(line.at(step), source.ready(step).b(), "forecast step " + step);
      }
      assertEquals(line.at(8), source.ready(8).b(), "the next period starts on the line");
      TrajectoryForecast other = new TrajectoryForecast(line.schemaVersion(), "run-a", 0, 4, 7,
          line.slope(), new Unconstrained(9, 9, 9), line.residual(), line.points());
      publish(bus, other);
      assertEquals(line.at(5), source.ready(5).b(), "a differing line is not taken");
      for (long version = 1; version < 4; version++) {
        publish(bus, update(version, window.get((int) version).at()));
      }
      MetaTimeoutException timeout =
          assertThrows(MetaTimeoutException.class, () -> source.awaitConfirmed(SHORT));
      assertTrue(timeout.getMessage().contains("trajectory forecast for run run-a step 4"),
          timeout.getMessage());
      publish(bus, line);
      assertDoesNotThrow(() -> source.awaitConfirmed(SHORT));
    }
  }

  @Test
  void aLongRunAheadKeepsOnlyWhatItsNextStepsRead() throws Exception {
    RunConfig config = config(RunConfig.Mode.FORECAST, RunConfig.OptimizerKind.SGD); // E 4, n 2
    try (InMemoryEventBus bus = new InMemoryEventBus();
        StreamedMetaSource source = new StreamedMetaSource(bus, TOPICS, "run-a",
            config, START, 16)) {
      MetaUpdateRule rule = new Expected(RunConfig.OptimizerKind.SGD).rule();
      List<HyperGradient> window = new ArrayList<>();
      for (long step = 0; step < 4_000; step++) {
        MetaPoint point = source.ready(step);
        assertNotNull(point, "step " + step + " goes on");
        if (step % 8 < 4) {
          HyperGradient gradient = hyperGradient(step, point.b());
          source.hyperGradientComputed(gradient);
          window.add(gradient);
          // the meta-optimizer's answer
          publish(bus, update(step + 1,
              Unconstrained.of(rule.step(point.b().toArray(), GRADIENT.toArray(), 1.0))));
          if (step % 8 == 3) {
            publish(bus, TrajectoryPredictor.predict("run-a", config, step - 3, window));
            window.clear();
          }
        }
      }
      assertTrue(source.retained() <= 8, "held " + source.retained() + " after 4 000 steps");
    }
  }

  /** The meta-optimizer's rule, applied on the test's side. */
  private record Expected(MetaUpdateRule rule) {
    Expected(RunConfig.OptimizerKind kind) {
      this(new MetaUpdateRule(kind, 0.5, 1.0));
    }
  }

  /** Trains step {@code step} at {@code at}: hands its hypergradient over, returns the next b. */
  private static Unconstrained trainStep(StreamedMetaSource source, long step, Unconstrained at,
      Expected expected) {
    HyperGradient gradient = hyperGradient(step, at);
    source.hyperGradientComputed(gradient);
    double[] next = expected.rule().step(at.toArray(), GRADIENT.toArray(), 1.0);
    Unconstrained b = new Unconstrained(next[0], next[1], next[2]);
    MetaPoint point = source.ready(step + 1);
    if (step + 1 <= 2) {
      assertNotNull(point, "step " + (step + 1) + " goes on without waiting");
      assertEquals(b, point.b());
      assertEquals(MetaParamSource.OPTIMIZER, point.source());
    }
    return b;
  }

  private static HyperGradient hyperGradient(long step, Unconstrained at) {
    return new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "run-a", step, at, GRADIENT, 0.5, 0.1,
        1.0, Map.of());
  }

  private static StreamedMetaSource ahead(InMemoryEventBus bus, RunConfig.OptimizerKind rule,
      int runAhead) {
    return new StreamedMetaSource(bus, TOPICS, "run-a", config(RunConfig.Mode.HYPERGRADIENT, rule),
        START, runAhead);
  }

  private static RunConfig config(RunConfig.Mode mode, RunConfig.OptimizerKind rule) {
    return new RunConfig(RunConfig.DatasetKind.SYNTHETIC, "", mode, 1, 1, 100_000, 0, "logreg",
        "logreg", RunConfig.OptimizerKind.SGD, 0.1, rule, 0.5, 1.0, 4, 2, START, false, 0, 0,
        false);
  }

  private static MetaParams update(long version, Unconstrained b) {
    return new MetaParams(Event.CURRENT_SCHEMA_VERSION, "run-a", version, b.toValues(), b,
        MetaParamSource.OPTIMIZER);
  }

  private static void publish(InMemoryEventBus bus, Event... events) {
    for (Event event : events) {
      bus.publish(TOPICS.channelOf(event), Flux.just(event)).blockLast();
    }
  }
}
