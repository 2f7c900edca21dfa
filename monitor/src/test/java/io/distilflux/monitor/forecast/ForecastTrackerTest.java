package io.distilflux.monitor.forecast;

import static io.distilflux.monitor.TestEvents.hyperGradient;
import static io.distilflux.monitor.TestEvents.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.ExtraGradient;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunConfig.Mode;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ForecastTrackerTest {

  private final ForecastTracker tracker = new ForecastTracker();
  private final AtomicInteger acknowledged = new AtomicInteger();
  private final List<ForecastTracker.Ready> ready = new ArrayList<>();

  private void collect(ForecastTracker.Outcome outcome) {
    ready.addAll(outcome.ready());
    outcome.acknowledgeNow().forEach(Runnable::run);
  }

  private void point(long step) {
    collect(
        tracker.hyperGradient(
            hyperGradient("r", step, new Unconstrained(step, 2 * step, -step)),
            acknowledged::incrementAndGet));
  }

  @Test
  void offersOneForecastPerPeriodOnceAllItsPointsArrivedInAnyOrderWithDuplicates() {
    collect(tracker.runStarted(started("r", Mode.FORECAST, 4, 2)));
    point(2);
    point(0);
    point(2);
    point(3);
    assertTrue(ready.isEmpty(), "step 1 is still missing");
    assertEquals(0, acknowledged.get(), "points of an open period are held");
    point(1);
    point(3);

    assertEquals(1, ready.size());
    TrajectoryForecast forecast = ready.get(0).forecast();
    assertEquals(0, forecast.periodStart());
    assertEquals(4, forecast.fromStep());
    assertEquals(7, forecast.toStep());
    assertEquals(4, forecast.points());
    assertEquals(1.0, forecast.slope().b1(), 1e-12);
    assertEquals(2.0, forecast.slope().b2(), 1e-12);
    assertEquals(-1.0, forecast.slope().b3(), 1e-12);
    assertEquals(5, ready.get(0).acknowledgements().size());
    assertEquals(1, acknowledged.get(), "the late duplicate is acknowledged at once");
  }

  @Test
  void eachDeclaredExtraCoordinateGetsItsOwnLineAndUndeclaredOnesNone() {
    RunStarted plain = started("r", Mode.FORECAST, 4, 2);
    collect(tracker.runStarted(new RunStarted(plain.schemaVersion(), "r",
        plain.config().withExtraMeta(Map.of("lambdaC", 0.0)), 0L, plain.provenance())));
    for (long step = 0; step < 4; step++) {
      Unconstrained at = new Unconstrained(step, 0, 0);
      // λ_c's coordinate moves by −0.25 a step; step 2 carries a NaN, left out of its fit
      double lambdaC = step == 2 ? Double.NaN : 1 - 0.25 * step;
      HyperGradient point = new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "r", step, at,
          at, 0.5, 0.1, 1.0, Map.of("lambdaC", new ExtraGradient(lambdaC, 0.1),
              "undeclared", new ExtraGradient(step, 0)));
      collect(tracker.hyperGradient(point, acknowledged::incrementAndGet));
    }
    TrajectoryForecast forecast = ready.get(0).forecast();
    assertEquals(java.util.Set.of("lambdaC"), forecast.extra().keySet());
    assertEquals(-0.25, forecast.extra().get("lambdaC").slope(), 1e-12);
    assertEquals(1.0, forecast.extra().get("lambdaC").intercept(), 1e-12);
    assertEquals(0.0, forecast.extra().get("lambdaC").residual(), 1e-12);
    // the substitution of a forecast step carries the extra coordinate too
    assertEquals(1 - 0.25 * 6, forecast.extraAt(6).get("lambdaC"), 1e-12);
    assertEquals(1.0, forecast.slope().b1(), 1e-12);
  }

  @Test
  void pointsBeforeTheRunStartWaitForIt() {
    for (long step = 8; step < 12; step++) {
      point(step);
    }
    assertTrue(ready.isEmpty());
    collect(tracker.runStarted(started("r", Mode.FORECAST, 4, 2)));
    assertEquals(1, ready.size());
    assertEquals(8, ready.get(0).forecast().periodStart());
    assertEquals(15, ready.get(0).forecast().toStep());
  }

  @Test
  void aPeriodSeenOnTheForecastsTopicIsNeverOfferedAgain() {
    collect(tracker.runStarted(started("r", Mode.FORECAST, 4, 2)));
    point(0);
    point(1);
    TrajectoryForecast published =
        new TrajectoryForecast(1, "r", 0, 4, 7, new Unconstrained(0, 0, 0),
            new Unconstrained(0, 0, 0), new Unconstrained(0, 0, 0), 4);
    collect(tracker.forecastSeen(published));
    assertEquals(2, acknowledged.get(), "held points are released");
    point(2);
    point(3);
    assertTrue(ready.isEmpty());
    assertTrue(tracker.isSettled("r", 0));
  }

  @Test
  void runsWithoutForecastModeOnlyAcknowledge() {
    collect(tracker.runStarted(started("r", Mode.HYPERGRADIENT, 4, 2)));
    for (long step = 0; step < 4; step++) {
      point(step);
    }
    assertTrue(ready.isEmpty());
    assertEquals(4, acknowledged.get());
  }

  @Test
  void aStepWithNonFiniteBCountsAsSeenButIsLeftOutOfTheFit() {
    collect(tracker.runStarted(started("r", Mode.FORECAST, 3, 2)));
    point(0);
    collect(tracker.hyperGradient(
        hyperGradient("r", 1, new Unconstrained(Double.NaN, 0, 0)),
        acknowledged::incrementAndGet));
    point(2);
    assertEquals(1, ready.size());
    assertEquals(2, ready.get(0).forecast().points());
    assertEquals(1.0, ready.get(0).forecast().slope().b1(), 1e-12);
  }

  @Test
  void aFinishedRunReleasesItsHeldPointsAndIgnoresLaterOnes() {
    collect(tracker.runStarted(started("r", Mode.FORECAST, 4, 2)));
    point(0);
    point(1);
    collect(tracker.runFinished("r"));
    assertEquals(2, acknowledged.get());
    point(2);
    point(3);
    assertEquals(4, acknowledged.get());
    assertTrue(ready.isEmpty());
  }

  @Test
  void aLongRunKeepsNoSettledPeriodsBehindItsNextOneAndStillKnowsThemSettled() {
    collect(tracker.runStarted(started("r", Mode.FORECAST, 4, 2)));
    for (long period = 0; period < 2_000; period++) {
      for (long step = 0; step < 4; step++) {
        point(period * 8 + step);
      }
    }
    assertEquals(2_000, ready.size());
    assertEquals(0, tracker.settledPeriodsKept("r"), "every settled period lies behind the next");
    assertTrue(tracker.isSettled("r", 0) && tracker.isSettled("r", 8 * 1_999));
    assertEquals(false, tracker.isSettled("r", 8 * 2_000));
    assertEquals(null, tracker.forecastSeen(ready.get(0).forecast()).rejection(),
        "an early forecast read back again is a copy, not out of sequence");
    Unconstrained zero = new Unconstrained(0, 0, 0);
    ForecastTracker.Outcome misaligned = tracker.forecastSeen(
        new TrajectoryForecast(1, "r", 3, 7, 10, zero, zero, zero, 4));
    assertTrue(misaligned.rejection().contains("out of sequence"), misaligned.rejection());
    point(8 * 2_000 + 4); // a forecast-phase step: acknowledged, nothing kept
    assertEquals(0, tracker.settledPeriodsKept("r"));
  }

  @Test
  void aForecastReadOutOfItsRunsSequenceIsRejectedAndSettlesNothing() {
    collect(tracker.runStarted(started("r", Mode.FORECAST, 4, 2)));
    Unconstrained zero = new Unconstrained(0, 0, 0);
    ForecastTracker.Outcome ahead = tracker.forecastSeen(
        new TrajectoryForecast(1, "r", 80, 84, 87, zero, zero, zero, 4));
    assertTrue(ahead.rejection().contains("out of sequence"), ahead.rejection());
    ForecastTracker.Outcome ghost = tracker.forecastSeen(
        new TrajectoryForecast(1, "ghost", 0, 4, 7, zero, zero, zero, 4));
    assertTrue(ghost.rejection().contains("no RunStarted"), ghost.rejection());
    for (long step = 0; step < 4; step++) {
      point(step);
    }
    assertEquals(1, ready.size(), "the run's own first period is still forecast");
    assertEquals(null, tracker.forecastSeen(ready.get(0).forecast()).rejection(),
        "reading back its own forecast is no rejection");
    assertEquals(1, tracker.runs(), "no state for the ghost run");
  }

  @Test
  void pointsOfARunThatNeverStartsAreLetGoAfterTheGrace() {
    collect(tracker.hyperGradient(hyperGradient("ghost", 0, new Unconstrained(0, 0, 0)),
        acknowledged::incrementAndGet, 1_000));
    collect(tracker.expireWaiting(1_000 + ForecastTracker.START_GRACE.toMillis() - 1));
    assertEquals(0, acknowledged.get());
    collect(tracker.expireWaiting(1_000 + ForecastTracker.START_GRACE.toMillis()));
    assertEquals(1, acknowledged.get());
    assertEquals(0, tracker.runs());
  }
}
