package io.distilflux.monitor;

import static io.distilflux.monitor.TestEvents.evaluation;
import static io.distilflux.monitor.TestEvents.finished;
import static io.distilflux.monitor.TestEvents.hyperGradient;
import static io.distilflux.monitor.TestEvents.started;
import static io.distilflux.monitor.TestEvents.step;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.ForwardingEventBus;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.WallClock;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunConfig.Mode;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

class MonitorServiceTest {

  private static final String RUN = "run-1";

  private final Topics topics = new Topics("test.");
  private final InMemoryEventBus bus = new InMemoryEventBus();

  @AfterEach
  void closeBus() {
    bus.close();
  }

  private MonitorService service(String group, PrometheusMeterRegistry registry) {
    MonitorOptions options = MonitorOptions.defaults().withHttp("127.0.0.1", 0);
    return new MonitorService(bus, topics, group, registry, options);
  }

  private static PrometheusMeterRegistry registry() {
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  private <E extends Event> void send(io.distilflux.pipeline.Channel<E> channel, List<E> events) {
    bus.publish(channel, Flux.fromIterable(events)).blockLast(Duration.ofSeconds(5));
  }

  /** b at step s of the hypergradient mini-epoch: b1 = 0.5 + 0.1·z, b2 = −1, b3 noisy. */
  private static HyperGradient point(long step) {
    double[] noisy = {1, 3, 2, 5};
    return hyperGradient(RUN, step, new Unconstrained(0.5 + 0.1 * step, -1, noisy[(int) step]));
  }

  private List<TrajectoryForecast> forecasts() {
    return bus.consume(topics.forecasts(), ConsumerOptions.earliest("probe-" + System.nanoTime()))
        .take(Duration.ofMillis(200))
        .map(Received::event)
        .collectList()
        .block(Duration.ofSeconds(5));
  }

  private static double received(PrometheusMeterRegistry registry) {
    var counter = registry.find("distilflux.hypergradient.received").tag("run", RUN).counter();
    return counter == null ? 0 : counter.count();
  }

  /** Polls a condition the service's threads make true; fails after five seconds. */
  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  @Test
  void aRestartRebuildsTheRunsStillRunningAndNothingOfARunThatHadEnded() throws Exception {
    send(topics.runs(), List.of(started("old", Mode.HYPERGRADIENT, 4, 2)));
    send(topics.steps(), List.of(step("old", 0, Phase.FIXED, 1_000), step("old", 1, Phase.FIXED,
        1_001)));
    RunFinished ended = finished("old", 1.0, 0.5);
    send(topics.runs(), List.of(new RunFinished(ended.schemaVersion(), "old", ended.steps(),
        ended.finalEvaluation(), ended.hypergradientSteps(), ended.forecastSteps(),
        ended.wallSeconds(), ended.hypergradientSeconds(), null, System.currentTimeMillis())));
    Instant liveStart = WallClock.nextMillisecond();
    RunStarted live = started("live", Mode.HYPERGRADIENT, 4, 2);
    send(topics.runs(), List.of(new RunStarted(live.schemaVersion(), "live", live.config(),
        liveStart.toEpochMilli(), live.provenance())));
    send(topics.steps(), List.of(step("live", 0, Phase.FIXED, liveStart.toEpochMilli()),
        step("live", 1, Phase.FIXED, liveStart.toEpochMilli())));

    Map<String, AtomicInteger> stepsRead = new ConcurrentHashMap<>();
    EventBus counting = new ForwardingEventBus(bus) {
      @Override
      public <E extends Event> Flux<Received<E>> consume(Channel<E> channel,
          ConsumerOptions options) {
        return super.consume(channel, options).doOnNext(received -> {
          if (received.event() instanceof TrainingStep step) {
            stepsRead.computeIfAbsent(step.runId(), id -> new AtomicInteger()).incrementAndGet();
          }
        });
      }
    };
    PrometheusMeterRegistry registry = registry();
    try (MonitorService service = new MonitorService(counting, topics, "monitor", registry,
        MonitorOptions.defaults().withHttp("127.0.0.1", 0), Clock.systemUTC(), Duration.ZERO)) {
      service.start();
      await(() -> registry.find("distilflux.train.step").tag("run", "live").gauge() != null
          && registry.find("distilflux.train.step").tag("run", "live").gauge().value() == 1,
          "the live run's steps");
      assertEquals(List.of(), registry.getMeters().stream()
          .filter(meter -> "old".equals(meter.getId().getTag("run")))
          .map(meter -> meter.getId().getName())
          .toList());
      assertEquals(null, stepsRead.get("old"), "steps of the old run read");
      assertEquals(2, stepsRead.get("live").get());
    }
  }

  @Test
  void publishesOneForecastWithTheFittedLineOnceTheMiniEpochIsComplete() throws Exception {
    PrometheusMeterRegistry registry = registry();
    try (MonitorService service = service("monitor", registry)) {
      service.start();
      send(topics.runs(), List.of(started(RUN, Mode.FORECAST, 4, 2)));
      send(topics.hyperGradients(), List.of(point(0), point(1), point(2)));
      await(() -> received(registry) == 3, "three hypergradients");
      assertTrue(forecasts().isEmpty(), "no forecast before step 3");

      send(topics.hyperGradients(), List.of(point(3)));
      List<TrajectoryForecast> forecasts = forecasts();
      assertEquals(1, forecasts.size());
      TrajectoryForecast forecast = forecasts.get(0);
      assertEquals(RUN, forecast.runId());
      assertEquals(0, forecast.periodStart());
      assertEquals(4, forecast.fromStep());
      assertEquals(7, forecast.toStep());
      assertEquals(4, forecast.points());
      assertEquals(0.1, forecast.slope().b1(), 1e-12);
      assertEquals(0.5, forecast.intercept().b1(), 1e-12);
      assertEquals(0, forecast.slope().b2(), 1e-12);
      assertEquals(0, forecast.residual().b2(), 1e-12);
      assertEquals(1.1, forecast.slope().b3(), 1e-12);
      assertEquals(Math.sqrt(0.675), forecast.residual().b3(), 1e-12);
      // Every hypergradient of the settled period is acknowledged.
      String topic = topics.hyperGradients().topic();
      await(() -> bus.committed(topic, "monitor.hypergradients") == 4, "commit");
    }
  }

  @Test
  void duplicatesAndOutOfOrderPointsDoNotPublishASecondForecast() throws Exception {
    PrometheusMeterRegistry registry = registry();
    try (MonitorService service = service("monitor", registry)) {
      service.start();
      // Points before their run's start wait for it.
      send(topics.hyperGradients(), List.of(point(2), point(0), point(2), point(3)));
      send(topics.runs(), List.of(started(RUN, Mode.FORECAST, 4, 2)));
      send(topics.hyperGradients(), List.of(point(1), point(3), point(0), point(1)));
      await(() -> received(registry) == 8, "eight hypergradients");
      List<TrajectoryForecast> forecasts = forecasts();
      assertEquals(1, forecasts.size());
      assertEquals(0.1, forecasts.get(0).slope().b1(), 1e-12);
    }
  }

  @Test
  void aRestartedMonitorDoesNotRepublishAndFinishesAHalfSeenPeriod() throws Exception {
    try (MonitorService first = service("monitor", registry())) {
      first.start();
      send(topics.runs(), List.of(started(RUN, Mode.FORECAST, 4, 2)));
      send(topics.hyperGradients(), List.of(point(0), point(1), point(2), point(3)));
      await(() -> forecasts().size() == 1, "the first forecast");
      // Period 1 (steps 8..11) half seen when the monitor stops.
      send(topics.hyperGradients(),
          List.of(hyperGradient(RUN, 8, new Unconstrained(1, 1, 1)),
              hyperGradient(RUN, 9, new Unconstrained(2, 1, 1))));
    }

    // A monitor in a new group re-reads every hypergradient: period 0 is known from the
    // forecasts topic, period 1 is completed from the records of both lives.
    PrometheusMeterRegistry registry = registry();
    try (MonitorService second = service("monitor-new", registry)) {
      second.start();
      await(() -> registry.find("distilflux.forecasts").tag("run", RUN).counter() != null
          && registry.get("distilflux.forecasts").tag("run", RUN).counter().count() == 1,
          "the published forecast read back");
      await(() -> received(registry) == 6, "six hypergradients");
      send(topics.hyperGradients(),
          List.of(hyperGradient(RUN, 10, new Unconstrained(3, 1, 1)),
              hyperGradient(RUN, 11, new Unconstrained(4, 1, 1))));
      await(() -> received(registry) == 8, "eight hypergradients");
    }
    List<TrajectoryForecast> forecasts = forecasts();
    assertEquals(List.of(0L, 8L), forecasts.stream().map(TrajectoryForecast::periodStart).toList());
    assertEquals(1.0, forecasts.get(1).slope().b1(), 1e-12);
    assertEquals(1.0, forecasts.get(1).at(16).b1() - forecasts.get(1).at(15).b1(), 1e-12);
  }

  @Test
  void theSameGroupResumesWithTheUnacknowledgedPointsOfAnOpenPeriod() throws Exception {
    try (MonitorService first = service("monitor", registry())) {
      first.start();
      send(topics.runs(), List.of(started(RUN, Mode.FORECAST, 4, 2)));
      send(topics.hyperGradients(), List.of(point(0), point(1)));
    }
    assertEquals(0, bus.committed(topics.hyperGradients().topic(), "monitor.hypergradients"));
    PrometheusMeterRegistry registry = registry();
    try (MonitorService second = service("monitor", registry)) {
      second.start();
      send(topics.hyperGradients(), List.of(point(2), point(3)));
      await(() -> received(registry) == 4, "four hypergradients");
      List<TrajectoryForecast> forecasts = forecasts();
      assertEquals(1, forecasts.size());
      assertEquals(4, forecasts.get(0).points());
    }
  }

  @Test
  void theLiveEndpointServesTheRunsMetersAndHealth() throws Exception {
    PrometheusMeterRegistry registry = registry();
    try (MonitorService service = service("monitor", registry)) {
      service.start();
      send(topics.runs(), List.of(started(RUN, Mode.FORECAST, 4, 2)));
      send(topics.steps(), List.of(step(RUN, 0, Phase.HYPERGRADIENT, 1_000),
          step(RUN, 1, Phase.HYPERGRADIENT, 1_500)));
      send(topics.evaluations(), List.of(evaluation(RUN, 1)));
      await(() -> registry.find("distilflux.evaluation.test.accuracy").tag("run", RUN)
          .gauge() != null, "the evaluation");

      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String base = "http://127.0.0.1:" + service.port();
      HttpResponse<String> metrics = client.send(
          HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());
      String body = metrics.body();
      assertTrue(body.contains("distilflux_meta_lambda1{run=\"run-1\"} 0.7"), body);
      assertTrue(body.contains("distilflux_steps_total{phase=\"hypergradient\",run=\"run-1\"} 2.0"),
          body);
      assertTrue(body.contains("distilflux_step_duration_seconds_count{run=\"run-1\"} 2"), body);
      assertTrue(body.contains("distilflux_steps_rate{run=\"run-1\"} 2.0"), body);
      assertTrue(body.contains("distilflux_evaluation_test_accuracy{run=\"run-1\"} 0.79"), body);

      HttpResponse<String> health = client.send(
          HttpRequest.newBuilder(URI.create(base + "/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, health.statusCode());
      assertTrue(health.body().startsWith("{\"status\":\"UP\""), health.body());
      assertTrue(health.body().contains("\"restored\":true"), health.body());
    }
  }
}
