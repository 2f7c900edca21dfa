package io.distilflux.monitor.replay;

import io.distilflux.monitor.MonitorOptions;
import io.distilflux.monitor.MonitorService;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.EventRouter;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.record.RecordedRun;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Re-drives recorded runs through a monitor of its own: a {@link MonitorService} on an
 * in-memory bus, with its own {@code /metrics} endpoint, so a dashboard scraping it shows the
 * replay (under its new run id) beside the live monitor's original.
 *
 * <p>Nothing is written to Kafka, by design: a live meta-optimizer reading the replayed
 * hypergradients would publish updates as if the run were training, and a live monitor would
 * take the recorded forecasts for new ones. Here the recorded {@link TrajectoryForecast}s are
 * not re-driven at all: the monitor recomputes each period's forecast from the replayed
 * hypergradients, and the result compares them with the recorded ones. {@code MetaParams}
 * are not re-driven either: the monitor reads none.
 *
 * <p>{@code RunFinished} is held back until the monitor has handled everything before it
 * (the live trainer ends only after its last forecast, and the monitor drops the open periods
 * of a finished run).
 */
public final class RunReplay implements AutoCloseable {

  /** Consumer group of the replay's monitor on its in-memory bus. */
  public static final String MONITOR_GROUP = "distilflux-replay-monitor";

  /** How long the monitor may take to catch up once everything has been sent. */
  private static final Duration CATCH_UP = Duration.ofSeconds(60);

  private final InMemoryEventBus bus = new InMemoryEventBus();
  private final Topics topics = Topics.defaults();
  private final MonitorService monitor;
  private final Scheduler clock;

  /**
   * What a replay did.
   *
   * @param runId the recorded run
   * @param replayedAs the run id of the replay
   * @param events events sent to the monitor
   * @param steps training steps among them
   * @param wall wall time of the replay
   * @param recordedForecasts forecasts of the recording, under the replay's run id, by period
   * @param replayedForecasts forecasts the monitor computed during the replay, by period
   */
  public record Result(String runId, String replayedAs, long events, long steps, Duration wall,
      List<TrajectoryForecast> recordedForecasts, List<TrajectoryForecast> replayedForecasts) {

    /** Events per second of wall time. */
    public double eventsPerSecond() {
      return events / seconds();
    }

    /** Training steps per second of wall time. */
    public double stepsPerSecond() {
      return steps / seconds();
    }

    private double seconds() {
      return Math.max(wall.toNanos(), 1) / 1e9;
    }

    /**
     * Periods whose replayed forecast is missing, extra, or differs from the recorded one in
     * any field (slopes, intercepts and residuals compared bit for bit); empty when the replay
     * reproduced every forecast.
     */
    public List<Long> forecastMismatches() {
      Map<Long, TrajectoryForecast> recorded = byPeriod(recordedForecasts);
      Map<Long, TrajectoryForecast> replayed = byPeriod(replayedForecasts);
      List<Long> periods = new ArrayList<>();
      recorded.forEach((period, forecast) -> {
        if (!forecast.equals(replayed.get(period))) {
          periods.add(period);
        }
      });
      replayed.keySet().stream().filter(p -> !recorded.containsKey(p)).forEach(periods::add);
      periods.sort(Comparator.naturalOrder());
      return periods;
    }

    private static Map<Long, TrajectoryForecast> byPeriod(List<TrajectoryForecast> forecasts) {
      return forecasts.stream().collect(Collectors.toMap(TrajectoryForecast::periodStart,
          Function.identity(), (a, b) -> a));
    }
  }

  private RunReplay(PrometheusMeterRegistry registry, String httpHost, int httpPort,
      Scheduler clock) {
    this.clock = clock;
    // A fresh in-memory bus: the monitor's rebuild from the topics finds them empty.
    this.monitor = new MonitorService(bus, topics, MONITOR_GROUP, registry,
        MonitorOptions.defaults().withHttp(httpHost, httpPort));
  }

  /**
   * Starts the replay's monitor and its HTTP endpoint.
   *
   * @param registry where the replayed runs' meters go
   * @param httpHost address of {@code /metrics}
   * @param httpPort port of {@code /metrics}, 0 for any free one
   */
  public static RunReplay start(PrometheusMeterRegistry registry, String httpHost, int httpPort) {
    RunReplay replay = new RunReplay(Objects.requireNonNull(registry, "registry"), httpHost,
        httpPort, Schedulers.parallel());
    try {
      replay.monitor.start();
    } catch (RuntimeException e) {
      replay.close();
      throw e;
    }
    return replay;
  }

  /** The port of the replay's {@code /metrics} endpoint. */
  public int port() {
    return monitor.port();
  }

  /**
   * Replays a run under another run id and waits until the monitor has handled every event.
   *
   * @throws IllegalStateException when the monitor does not catch up within a minute of the
   *     last event
   */
  public Result replay(RecordedRun run, String asRunId, ReplaySpeed speed) {
    RecordedRun renamed = run.withRunId(asRunId);
    List<Event> toMonitor = renamed.events().stream()
        .filter(e -> !(e instanceof TrajectoryForecast) && !(e instanceof MetaParams))
        .toList();
    long handledBefore = monitor.eventsHandled();
    long publishedBefore = monitor.forecastsPublished();
    AtomicLong sent = new AtomicLong();
    Mono<Void> caughtUp = Flux.interval(Duration.ofMillis(1), Duration.ofMillis(1))
        .filter(tick -> monitor.eventsHandled() - handledBefore
            >= sent.get() + monitor.forecastsPublished() - publishedBefore)
        .next()
        .then()
        .timeout(CATCH_UP, Mono.error(() -> new IllegalStateException(
            "the replay's monitor did not handle the events of " + asRunId + " within "
                + CATCH_UP.toSeconds() + " s (" + monitor.health().details() + ")")));
    Flux<Event> events = speed.pace(toMonitor, clock)
        .concatMap(e -> e instanceof RunFinished ? caughtUp.thenReturn(e) : Mono.just(e), 1)
        .doOnNext(e -> sent.incrementAndGet());
    long begin = System.nanoTime();
    new EventRouter(bus, topics).publish(events).then(caughtUp).block();
    Duration wall = Duration.ofNanos(System.nanoTime() - begin);
    long steps = toMonitor.stream().filter(TrainingStep.class::isInstance).count();
    return new Result(run.runId(), asRunId, toMonitor.size(), steps, wall,
        renamed.eventsOf(TrajectoryForecast.class), forecastsOf(asRunId));
  }

  /** What the monitor published on its forecasts topic for the run. */
  private List<TrajectoryForecast> forecastsOf(String runId) {
    long size = bus.size(topics.forecasts().topic());
    List<TrajectoryForecast> forecasts = bus.consume(topics.forecasts(),
            ConsumerOptions.wholeHistory("replay-forecasts"))
        .take(size)
        .map(Received::event)
        .filter(f -> f.runId().equals(runId))
        .collectList()
        .block(CATCH_UP);
    return forecasts == null ? List.of() : forecasts;
  }

  /** Stops the monitor and its endpoint. */
  @Override
  public void close() {
    monitor.close();
    bus.close();
  }
}
