package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.ExtraLine;
import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.pipeline.event.ExtraValue;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

class MetaSourcesTest {

  private static final Duration SHORT = Duration.ofMillis(200);
  private static final Unconstrained START = new Unconstrained(0.1, -0.2, -1.0);

  @Test
  void noDistillationPinsLambdaToPlainCrossEntropy() throws Exception {
    MetaPoint point = FixedMetaSource.noDistillation().pointFor(17, SHORT);
    assertEquals(new MetaValues(1.0, 0.0, 1.0), point.values());
  }

  @Test
  void fixedLambdaIsTheSameAtEveryStep() throws Exception {
    FixedMetaSource source = FixedMetaSource.fixed(START);
    assertEquals(START, source.pointFor(0, SHORT).b());
    assertEquals(START.toValues(), source.pointFor(12_345, SHORT).values());
  }

  @Test
  void randomLambdaIsDrawnOncePerSeedFromTheReferenceRanges() throws Exception {
    for (long seed = 0; seed < 50; seed++) {
      Unconstrained b = FixedMetaSource.randomStart(seed);
      assertTrue(b.b1() >= -1 && b.b1() < 1 && b.b2() >= -1 && b.b2() < 1, b.toString());
      assertTrue(b.b3() >= -2 && b.b3() < 0, b.toString());
      assertEquals(b, FixedMetaSource.randomOnce(seed).pointFor(999, SHORT).b());
    }
    assertNotEquals(FixedMetaSource.randomStart(1), FixedMetaSource.randomStart(2));
  }

  @Test
  void hypergradientModeUsesTheMetaOptimizersUpdateOfEachStep() throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      Topics topics = Topics.defaults();
      RunConfig config = config(RunConfig.Mode.HYPERGRADIENT, 0);
      try (StreamedMetaSource source = new StreamedMetaSource(bus, topics, "run-a", config, START)) {
        assertEquals(START, source.pointFor(0, SHORT).b());
        assertThrows(MetaTimeoutException.class, () -> source.pointFor(1, SHORT));
        Unconstrained next = new Unconstrained(0.2, -0.1, -0.9);
        publish(bus, topics, update("run-b", 1, new Unconstrained(9, 9, 9)), update("run-a", 1, next));
        MetaPoint point = source.pointFor(1, SHORT);
        assertEquals(next, point.b());
        assertEquals(MetaParamSource.OPTIMIZER, point.source());
        MetaTimeoutException timeout =
            assertThrows(MetaTimeoutException.class, () -> source.pointFor(2, SHORT));
        assertTrue(timeout.getMessage().contains("run-a step 2"), timeout.getMessage());
        assertTrue(timeout.getMessage().contains("meta-optimizer"), timeout.getMessage());
      }
    }
  }

  @Test
  void stalenessLetsAStepUseTheNewestUpdateWithinKSteps() throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      Topics topics = Topics.defaults();
      RunConfig config = config(RunConfig.Mode.HYPERGRADIENT, 2);
      try (StreamedMetaSource source = new StreamedMetaSource(bus, topics, "run-a", config, START)) {
        assertEquals(START, source.pointFor(2, SHORT).b());
        assertThrows(MetaTimeoutException.class, () -> source.pointFor(3, SHORT));
        Unconstrained one = new Unconstrained(1, 1, 1);
        publish(bus, topics, update("run-a", 1, one));
        assertEquals(one, source.pointFor(3, SHORT).b());
        assertThrows(MetaTimeoutException.class, () -> source.pointFor(4, SHORT));
      }
    }
  }

  @Test
  void forecastWindowsFollowThePublishedLineAndTheNextPeriodStartsWhereItContinues()
      throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      Topics topics = Topics.defaults();
      RunConfig config = config(RunConfig.Mode.FORECAST, 0); // E = 4, n = 2: periods of 8 steps
      try (StreamedMetaSource source = new StreamedMetaSource(bus, topics, "run-a", config, START)) {
        TrajectoryForecast line = new TrajectoryForecast(Event.CURRENT_SCHEMA_VERSION, "run-a", 0,
            4, 7, new Unconstrained(0.5, -0.5, 0.25), new Unconstrained(1, 2, 3),
            new Unconstrained(0, 0, 0), 4);
        MetaTimeoutException missing =
            assertThrows(MetaTimeoutException.class, () -> source.pointFor(5, SHORT));
        assertTrue(missing.getMessage().contains("monitor"), missing.getMessage());
        publish(bus, topics, line);
        for (long step = 4; step <= 7; step++) {
          MetaPoint point = source.pointFor(step, SHORT);
          assertEquals(line.at(step), point.b());
          assertEquals(MetaParamSource.FORECAST, point.source());
        }
        assertEquals(new Unconstrained(5, -2, 5), source.pointFor(8, SHORT).b());
        // The meta-optimizer's answer to the last hypergradient step (version 4) lies in the
        // forecast window and is not used there.
        publish(bus, topics, update("run-a", 4, new Unconstrained(7, 7, 7)));
        assertEquals(line.at(4), source.pointFor(4, SHORT).b());
      }
    }
  }

  @Test
  void extraCoordinatesComeFromTheStartTheUpdatesAndTheForecastLines() throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      Topics topics = Topics.defaults();
      RunConfig config = config(RunConfig.Mode.FORECAST, 0).withExtraMeta(Map.of("lambdaC", 0.5));
      try (StreamedMetaSource source = new StreamedMetaSource(bus, topics, "run-a", config, START)) {
        assertEquals(Map.of("lambdaC", 0.5), source.pointFor(0, SHORT).extra());
        publish(bus, topics, new MetaParams(Event.CURRENT_SCHEMA_VERSION, "run-a", 1,
            START.toValues(), START, MetaParamSource.OPTIMIZER,
            Map.of("lambdaC", ExtraValue.of(ExtraParameter.COMPLEXITY, 0.25),
                "undeclared", new ExtraValue(1, 1))));
        MetaPoint updated = source.pointFor(1, SHORT);
        assertEquals(Map.of("lambdaC", 0.25), updated.extra());
        assertEquals(ExtraParameter.COMPLEXITY.value(0.25), updated.extraValues().get("lambdaC"),
            1e-15);
        publish(bus, topics, new TrajectoryForecast(Event.CURRENT_SCHEMA_VERSION, "run-a", 0, 4,
            7, new Unconstrained(0, 0, 0), START, new Unconstrained(0, 0, 0), 4,
            Map.of("lambdaC", new ExtraLine(-0.1, 0.5, 0))));
        // the forecast window and the next period's start follow the extra coordinate's line
        assertEquals(0.5 - 0.1 * 6, source.pointFor(6, SHORT).extra().get("lambdaC"), 1e-12);
        assertEquals(0.5 - 0.1 * 8, source.pointFor(8, SHORT).extra().get("lambdaC"), 1e-12);
      }
    }
  }

  @Test
  void updatesOutOfTheRunsSequenceOrFromAnotherSourceAreNeverUsed() throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      Topics topics = Topics.defaults();
      RunConfig config = config(RunConfig.Mode.HYPERGRADIENT, 0);
      try (StreamedMetaSource source = new StreamedMetaSource(bus, topics, "run-a", config, START)) {
        Unconstrained forged = new Unconstrained(9, 9, 9);
        // Written before the run asked: a version far ahead, a copy from another source.
        publish(bus, topics, update("run-a", 3, forged),
            new MetaParams(Event.CURRENT_SCHEMA_VERSION, "run-a", 1, forged.toValues(), forged,
                MetaParamSource.FORECAST));
        assertThrows(MetaTimeoutException.class, () -> source.pointFor(1, SHORT));
        List<Unconstrained> real = List.of(new Unconstrained(1, 1, 1),
            new Unconstrained(2, 2, 2), new Unconstrained(3, 3, 3));
        publish(bus, topics, update("run-a", 1, real.get(0)), update("run-a", 1, forged),
            update("run-a", 2, real.get(1)), update("run-a", 3, real.get(2)));
        for (int step = 1; step <= 3; step++) {
          assertEquals(real.get(step - 1), source.pointFor(step, SHORT).b(), "step " + step);
        }
      }
    }
  }

  @Test
  void aForecastOutOfTheRunsSequenceIsNotUsed() throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      Topics topics = Topics.defaults();
      RunConfig config = config(RunConfig.Mode.FORECAST, 0); // periods of 8 steps
      try (StreamedMetaSource source = new StreamedMetaSource(bus, topics, "run-a", config, START)) {
        Unconstrained zero = new Unconstrained(0, 0, 0);
        // The forecast of the second period, before that of the first: not in sequence.
        publish(bus, topics, new TrajectoryForecast(Event.CURRENT_SCHEMA_VERSION, "run-a", 8, 4,
            7, new Unconstrained(9, 9, 9), zero, zero, 4));
        assertThrows(MetaTimeoutException.class, () -> source.pointFor(12, SHORT));
        TrajectoryForecast first = new TrajectoryForecast(Event.CURRENT_SCHEMA_VERSION, "run-a",
            0, 4, 7, new Unconstrained(0.5, -0.5, 0.25), new Unconstrained(1, 2, 3), zero, 4);
        publish(bus, topics, first);
        assertEquals(first.at(5), source.pointFor(5, SHORT).b());
        assertThrows(MetaTimeoutException.class, () -> source.pointFor(12, SHORT));
      }
    }
  }

  @Test
  void aLongRunKeepsOnlyTheUpdatesAndForecastsItsNextStepsRead() throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      Topics topics = Topics.defaults();
      RunConfig config = config(RunConfig.Mode.FORECAST, 1); // periods of 8 steps, E = 4
      try (StreamedMetaSource source = new StreamedMetaSource(bus, topics, "run-a", config, START)) {
        for (long step = 0; step < 400; step++) {
          long periodStart = step - step % 8;
          if (step % 8 == 0) {
            publish(bus, topics, new TrajectoryForecast(Event.CURRENT_SCHEMA_VERSION, "run-a",
                periodStart, 4, 7, new Unconstrained(0.5, -0.5, 0.25), new Unconstrained(0, 0, 0),
                new Unconstrained(0, 0, 0), 4));
          }
          // versions 1…4 of a period answer its hypergradient steps 0…3, as the meta-optimizer does
          if (step % 8 != 0 && step % 8 <= 4) {
            publish(bus, topics, update("run-a", step, new Unconstrained(step, 0, 0)));
          }
          source.pointFor(step, SHORT);
        }
        assertTrue(source.retained() <= 5, "held " + source.retained() + " after 400 steps");
        // an update of a step long past, read again from the history, is not kept
        publish(bus, topics, update("run-a", 9, new Unconstrained(9, 9, 9)));
        assertTrue(source.retained() <= 5, "held " + source.retained());
      }
    }
  }

  private static RunConfig config(RunConfig.Mode mode, int staleness) {
    return new RunConfig(RunConfig.DatasetKind.SYNTHETIC, "", mode, 1, 1, 100, 0, "logreg",
        "logreg", RunConfig.OptimizerKind.SGD, 0.1, RunConfig.OptimizerKind.SGD, 1.0, 1.0, 4, 2,
        START, false, 0, staleness, false);
  }

  private static MetaParams update(String run, long version, Unconstrained b) {
    return new MetaParams(Event.CURRENT_SCHEMA_VERSION, run, version, b.toValues(), b,
        MetaParamSource.OPTIMIZER);
  }

  private static void publish(InMemoryEventBus bus, Topics topics, Event... events) {
    for (Event event : events) {
      bus.publish(topics.channelOf(event), Flux.just(event)).blockLast();
    }
  }
}
