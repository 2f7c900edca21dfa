package io.distilflux.monitor.metrics;

import static io.distilflux.monitor.TestEvents.evaluation;
import static io.distilflux.monitor.TestEvents.finished;
import static io.distilflux.monitor.TestEvents.hyperGradient;
import static io.distilflux.monitor.TestEvents.started;
import static io.distilflux.monitor.TestEvents.step;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.ExtraGradient;
import io.distilflux.pipeline.event.ExtraLine;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunConfig.Mode;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MonitorMetricsTest {

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final MovableClock clock = new MovableClock();
  private final MonitorMetrics metrics =
      new MonitorMetrics(registry, clock, Duration.ofMinutes(10));

  @BeforeEach
  void runsStarted() {
    metrics.runStarted(started("a", Mode.FORECAST, 4, 2));
    metrics.runStarted(started("b", Mode.FORECAST, 4, 2));
  }

  private double gauge(String name, String run) {
    return registry.get(name).tag("run", run).gauge().value();
  }

  @Test
  void stepsSetMetaAndLossGaugesCountPhasesAndTimeTheStep() {
    metrics.step(step("a", 0, Phase.HYPERGRADIENT, 10_000));
    metrics.step(step("a", 10, Phase.FORECAST, 12_000));

    assertEquals(0.7, gauge("distilflux.meta.lambda1", "a"));
    assertEquals(0.2, gauge("distilflux.meta.lambda2", "a"));
    assertEquals(3.0, gauge("distilflux.meta.temperature", "a"));
    assertEquals(0.9, gauge("distilflux.train.loss", "a"));
    assertEquals(0.6, gauge("distilflux.train.loss.ce", "a"));
    assertEquals(0.3, gauge("distilflux.train.loss.kd", "a"));
    assertEquals(1, registry.get("distilflux.steps").tags("run", "a", "phase", "hypergradient")
        .counter().count());
    assertEquals(1, registry.get("distilflux.steps").tags("run", "a", "phase", "forecast")
        .counter().count());
    assertEquals(2, registry.get("distilflux.step.duration").tag("run", "a").timer().count());
    assertEquals(0.5, registry.get("distilflux.step.duration").tag("run", "a").timer()
        .totalTime(java.util.concurrent.TimeUnit.SECONDS), 1e-9);
    // 10 steps in 2 seconds.
    assertEquals(5.0, gauge("distilflux.steps.rate", "a"), 1e-12);
    // Both steps took 0.25 s, one of them in the hypergradient phase.
    assertEquals(0.5, gauge("distilflux.cost.hypergradient.share", "a"), 1e-12);
  }

  @Test
  void latestStepAndForecastWindowFollowTheHighestStepSeen() {
    metrics.step(step("a", 4, Phase.HYPERGRADIENT, 10_000));
    assertEquals(4, gauge("distilflux.train.step", "a"));
    assertEquals(0, gauge("distilflux.forecast.active", "a"));
    metrics.step(step("a", 7, Phase.FORECAST, 11_000));
    assertEquals(7, gauge("distilflux.train.step", "a"));
    assertEquals(1, gauge("distilflux.forecast.active", "a"));
    // A replayed older step does not move either gauge back.
    metrics.step(step("a", 5, Phase.HYPERGRADIENT, 10_500));
    assertEquals(7, gauge("distilflux.train.step", "a"));
    assertEquals(1, gauge("distilflux.forecast.active", "a"));
  }

  @Test
  void hyperGradientsGiveNormAndCountNonFiniteOnesAsSkipped() {
    metrics.hyperGradient(hyperGradient("a", 0, new Unconstrained(0, 0, 0)));
    metrics.hyperGradient(
        new io.distilflux.pipeline.event.HyperGradient(
            1, "a", 1, new Unconstrained(0, 0, 0), new Unconstrained(Double.NaN, 0, 0), 0.7,
            0.1));
    assertEquals(Math.sqrt(0.09 + 0.16 + 1.44), gauge("distilflux.hypergradient.norm", "a"),
        1e-12);
    assertEquals(0.7, gauge("distilflux.hypergradient.validation.loss", "a"));
    assertEquals(1, registry.get("distilflux.hypergradient.skipped").tag("run", "a")
        .counter().count());
    assertEquals(1, registry.get("distilflux.hypergradient.received").tag("run", "a")
        .counter().count());
  }

  @Test
  void evaluationsForecastsRunEndsAndDeadLettersAreRecordedPerRun() {
    metrics.evaluation(evaluation("a", 5));
    metrics.forecast(new TrajectoryForecast(1, "b", 0, 4, 7, new Unconstrained(0.1, 0.2, 0.3),
        new Unconstrained(0, 0, 0), new Unconstrained(0.01, 0.02, 0.03), 4));
    metrics.runFinished(finished("b", 10, 4));
    metrics.deadLettered(null);
    metrics.deadLettered("a");

    assertEquals(0.81, gauge("distilflux.evaluation.validation.accuracy", "a"));
    assertEquals(0.79, gauge("distilflux.evaluation.test.accuracy", "a"));
    assertEquals(0.5, gauge("distilflux.evaluation.test.loss", "a"));
    assertEquals(0.2, registry.get("distilflux.forecast.slope")
        .tags("run", "b", "coordinate", "b2").gauge().value());
    assertEquals(0.03, registry.get("distilflux.forecast.residual")
        .tags("run", "b", "coordinate", "b3").gauge().value());
    assertEquals(0.4, gauge("distilflux.cost.hypergradient.share", "b"), 1e-12);
    assertEquals(1, registry.get("distilflux.events.deadlettered").tag("run", "unknown")
        .counter().count());
    assertEquals(1, registry.get("distilflux.events.deadlettered").tag("run", "a")
        .counter().count());

    String scrape = registry.scrape();
    assertTrue(scrape.contains("distilflux_meta_lambda1{run=\"b\"}"), scrape);
    assertTrue(scrape.contains("distilflux_forecast_slope{coordinate=\"b1\",run=\"b\"} 0.1"),
        scrape);
    assertTrue(scrape.contains("distilflux_step_duration_seconds_count{run=\"a\"}"), scrape);
  }

  @Test
  void aRunsDeclaredExtraParametersGetAValueGaugeAndForecastGaugesByName() {
    RunStarted plain = started("c", Mode.FORECAST, 4, 2);
    metrics.runStarted(new RunStarted(plain.schemaVersion(), "c",
        plain.config().withExtraMeta(java.util.Map.of("lambdaC", 0.0)), 0L, plain.provenance()));
    TrainingStep base = step("c", 0, Phase.HYPERGRADIENT, 10_000);
    metrics.step(new TrainingStep(base.schemaVersion(), "c", 0, 0, Phase.HYPERGRADIENT,
        base.trainLoss(), base.ceLoss(), base.kdLoss(), base.meta(), base.durationSeconds(),
        base.timestampMillis(), java.util.Map.of("lambdaC", 3.5, "undeclared", 1.0)));
    metrics.forecast(new TrajectoryForecast(Event.CURRENT_SCHEMA_VERSION, "c", 0, 4, 7,
        new Unconstrained(0.1, 0.2, 0.3), new Unconstrained(0, 0, 0),
        new Unconstrained(0.01, 0.02, 0.03), 4,
        java.util.Map.of("lambdaC", new ExtraLine(-0.05, 0.7, 0.004))));

    assertEquals(3.5, registry.get("distilflux.meta.extra").tags("run", "c", "name", "lambdaC")
        .gauge().value());
    assertEquals(-0.05, registry.get("distilflux.forecast.slope")
        .tags("run", "c", "coordinate", "lambdaC").gauge().value());
    assertEquals(0.004, registry.get("distilflux.forecast.residual")
        .tags("run", "c", "coordinate", "lambdaC").gauge().value());
    // only declared names get meters; runs without extras get none
    assertTrue(registry.find("distilflux.meta.extra").tag("name", "undeclared").gauges()
        .isEmpty());
    assertTrue(registry.find("distilflux.meta.extra").tag("run", "a").gauges().isEmpty());
    assertTrue(registry.scrape().contains(
        "distilflux_meta_extra{name=\"lambdaC\",run=\"c\"} 3.5"), registry.scrape());

    // the hypergradient's norm covers λ_c's coordinate; a non-finite one is a skip
    Unconstrained g = new Unconstrained(0, 0, 3);
    metrics.hyperGradient(new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "c", 0, g, g, 0.5, 0.1,
        1.0, java.util.Map.of("lambdaC", new ExtraGradient(0, 4))));
    assertEquals(5.0, gauge("distilflux.hypergradient.norm", "c"), 1e-12);
    metrics.hyperGradient(new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "c", 1, g, g, 0.5, 0.1,
        1.0, java.util.Map.of("lambdaC", new ExtraGradient(0, Double.NaN))));
    assertEquals(1, registry.get("distilflux.hypergradient.skipped").tag("run", "c").counter()
        .count());
    assertEquals(1, registry.get("distilflux.hypergradient.received").tag("run", "c").counter()
        .count());
  }

  @Test
  void aVariationalRunsStepsSetTheKlAndStabilityGaugesAndAStepWithoutSKeepsTheLastOne() {
    metrics.runStarted(started("a", Mode.FORECAST, 4, 2));
    RunStarted plain = started("v", Mode.FORECAST, 4, 2);
    metrics.runStarted(new RunStarted(plain.schemaVersion(), "v",
        plain.config().withExtraMeta(java.util.Map.of("lambdaC", 0.0)), 0L, plain.provenance()));
    metrics.step(withExtra(step("v", 0, Phase.HYPERGRADIENT, 10_000), java.util.Map.of(
        "lambdaC", 3.5, TrainingStep.KL, 1200.0, TrainingStep.STABILITY, 1.25)));
    metrics.step(withExtra(step("v", 1, Phase.HYPERGRADIENT, 10_100), java.util.Map.of(
        "lambdaC", 3.4, TrainingStep.KL, 1100.0)));

    assertEquals(1100.0, gauge("distilflux.student.kl", "v"));
    assertEquals(1.25, gauge("distilflux.student.stability", "v"));
    assertTrue(registry.scrape().contains("distilflux_student_kl{run=\"v\"} 1100.0"),
        registry.scrape());
    // diagnostics are not meta-parameters; a plain run gets no such gauges
    assertTrue(registry.find("distilflux.meta.extra").tag("name", TrainingStep.KL).gauges()
        .isEmpty());
    assertTrue(registry.find("distilflux.student.kl").tag("run", "a").gauges().isEmpty());
  }

  private static TrainingStep withExtra(TrainingStep s, java.util.Map<String, Double> extra) {
    return new TrainingStep(s.schemaVersion(), s.runId(), s.step(), s.epoch(), s.phase(),
        s.trainLoss(), s.ceLoss(), s.kdLoss(), s.meta(), s.durationSeconds(),
        s.timestampMillis(), extra);
  }

  @Test
  void eventsOfARunThatNeverStartedMakeNoMetersAndAreDroppedAfterTheGrace() {
    for (int i = 1; i <= 9; i++) {
      metrics.step(step("ghost-run-" + i, 0, Phase.HYPERGRADIENT, 10_000));
      metrics.hyperGradient(hyperGradient("ghost-run-" + i, 0, new Unconstrained(0, 0, 0)));
      metrics.deadLettered("ghost-run-" + i);
    }
    clock.advance(MonitorMetrics.START_GRACE);
    metrics.expireFinished();

    assertFalse(registry.scrape().contains("ghost-run"), registry.scrape());
    assertEquals(18, registry.get("distilflux.events.unstarted").counter().count());
    assertEquals(9, registry.get("distilflux.events.deadlettered").tag("run", "unknown")
        .counter().count());
    assertEquals(2, metrics.runsWithMeters());
  }

  @Test
  void eventsThatCameBeforeTheirRunsStartAreRecordedOnceItStarts() {
    metrics.step(step("late", 3, Phase.HYPERGRADIENT, 10_000));
    assertTrue(registry.find("distilflux.train.step").tag("run", "late").gauges().isEmpty());
    clock.advance(MonitorMetrics.START_GRACE.minusSeconds(1));
    metrics.expireFinished();
    metrics.runStarted(started("late", Mode.HYPERGRADIENT, 4, 2));

    assertEquals(3, gauge("distilflux.train.step", "late"));
    assertEquals(0, registry.get("distilflux.events.unstarted").counter().count());
  }

  @Test
  void aFinishedRunsMetersAreRemovedOnceTheRetentionHasPassed() {
    metrics.step(step("a", 0, Phase.HYPERGRADIENT, 10_000));
    metrics.runFinished(finished("a", 10, 4));
    clock.advance(Duration.ofMinutes(10).minusSeconds(1));
    assertEquals(0, metrics.expireFinished());
    assertEquals(0.7, gauge("distilflux.meta.lambda1", "a"));

    clock.advance(Duration.ofSeconds(1));
    assertEquals(1, metrics.expireFinished());
    String scrape = registry.scrape();
    assertFalse(scrape.contains("run=\"a\""), scrape);
    assertTrue(scrape.contains("run=\"b\""), "a running run keeps its meters");
    // A late event of the expired run brings nothing back; a resumed run's start does.
    metrics.step(step("a", 11, Phase.HYPERGRADIENT, 12_000));
    assertFalse(registry.scrape().contains("run=\"a\""));
    metrics.runStarted(started("a", Mode.FORECAST, 4, 2));
    metrics.step(step("a", 12, Phase.HYPERGRADIENT, 12_000));
    assertEquals(12, gauge("distilflux.train.step", "a"));
  }

  /** A clock the test moves by hand. */
  private static final class MovableClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
