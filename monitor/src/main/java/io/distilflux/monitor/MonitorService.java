package io.distilflux.monitor;

import io.distilflux.monitor.forecast.ForecastTracker;
import io.distilflux.monitor.http.Health;
import io.distilflux.monitor.http.MetricsServer;
import io.distilflux.monitor.metrics.MonitorMetrics;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.RunHistory;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunEvent;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * The monitor: turns every event into Micrometer meters served on {@code /metrics}, and
 * publishes the linear trajectory forecast of each period of a {@code FORECAST} run once its
 * hypergradient mini-epoch is complete (docs/method.md §4).
 *
 * <p>Hypergradients are read for forecasting in the consumer group
 * {@code <group>.hypergradients}, which instances share, so a restarted monitor resumes after
 * what it processed (the hypergradient meters count what this instance read). On every start
 * the runs topic is read whole, and the steps, evaluations and forecasts topics from the horizon
 * of the runs still running ({@link RunHistory#horizon}), without a group: the meters of these
 * runs (each step counted once), their configurations and the periods already forecast are
 * rebuilt from them, so no forecast is published twice. A run that had ended before the start
 * gets no meters again (its series are in Prometheus already) and its late events are dropped.
 * Hypergradients are read only once the runs and forecasts topics have been read up to the end
 * offsets they had at start; the record of a hypergradient is acknowledged once its period's
 * forecast has been delivered.
 *
 * <p>Only runs with a {@code RunStarted} get meters (see {@link MonitorMetrics}); a finished
 * run's meters are removed {@link MonitorOptions#meterRetention()} after its end (checked every
 * {@link #EXPIRY_PERIOD}). A forecast read that does not fit its run's sequence is
 * dead-lettered (see {@link ForecastTracker#forecastSeen}).
 */
public final class MonitorService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MonitorService.class);

  /** How often finished runs' meters and points waiting for a start are looked at. */
  public static final Duration EXPIRY_PERIOD = Duration.ofSeconds(10);

  /** The monitor's default consumer group. */
  public static final String DEFAULT_GROUP = "distilflux-monitor";

  /**
   * How long the hypergradients may gather before the monitor reads them; also how often an idle
   * reader asks the broker again (its fetch waits for a batch's bytes or this long). A run that
   * waits for its forecasts (a trainer with {@code --run-ahead 0}) waits on the monitor once a
   * period, not once a step, and a run ahead fits its own line and does not wait: 25 ms is a
   * small part of a period either way, many runs in flight share each fetch, and a reader with
   * little to read (a CIFAR run's few hypergradients a second) makes 40 fetches a second, not 200.
   */
  static final Duration HYPERGRADIENT_BATCH_WAIT = Duration.ofMillis(25);

  private final EventBus bus;
  private final Topics topics;
  private final String groupId;
  private final PrometheusMeterRegistry registry;
  private final MonitorOptions options;
  private final MonitorMetrics metrics;
  private final Clock clock;
  /** How far apart the writers' clocks may be, for the horizon of the start's reads. */
  private final Duration clockAllowance;
  private final ForecastTracker tracker = new ForecastTracker();
  private final Disposable.Composite subscriptions = Disposables.composite();
  private final Sinks.One<Void> restored = Sinks.one();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final AtomicLong published = new AtomicLong();
  /** Held while the tracker makes forecasts and they are handed to the producer. */
  private final Object forecasting = new Object();
  private final AtomicLong handled = new AtomicLong();
  private final AtomicBoolean restoreOver = new AtomicBoolean();
  private MetricsServer server;

  /**
   * A monitor; nothing is consumed before {@link #start()}.
   *
   * @param bus the transport
   * @param topics topic names of the deployment
   * @param groupId consumer group of the monitor
   * @param registry where meters are registered and scraped from
   * @param options HTTP address and restore settings
   */
  public MonitorService(
      EventBus bus,
      Topics topics,
      String groupId,
      PrometheusMeterRegistry registry,
      MonitorOptions options) {
    this(bus, topics, groupId, registry, options, Clock.systemUTC());
  }

  /**
   * A monitor whose run ends and waiting points are timed by {@code clock}.
   *
   * @param bus the transport
   * @param topics topic names of the deployment
   * @param groupId consumer group of the monitor
   * @param registry where meters are registered and scraped from
   * @param options HTTP address, restore settings and meter retention
   * @param clock the time of run ends and of points waiting for their run's start
   */
  public MonitorService(
      EventBus bus,
      Topics topics,
      String groupId,
      PrometheusMeterRegistry registry,
      MonitorOptions options,
      Clock clock) {
    this(bus, topics, groupId, registry, options, clock, RunHistory.CLOCK_ALLOWANCE);
  }

  /**
   * As the other constructors, with how far apart the clocks of the hosts writing the topics
   * may be (see {@link RunHistory#horizon}); tests with a single clock take zero.
   */
  MonitorService(
      EventBus bus,
      Topics topics,
      String groupId,
      PrometheusMeterRegistry registry,
      MonitorOptions options,
      Clock clock,
      Duration clockAllowance) {
    this.clockAllowance = Objects.requireNonNull(clockAllowance, "clockAllowance");
    this.bus = Objects.requireNonNull(bus, "bus");
    this.topics = Objects.requireNonNull(topics, "topics");
    this.groupId = Objects.requireNonNull(groupId, "groupId");
    if (groupId.isBlank()) {
      throw new IllegalArgumentException("groupId must not be blank");
    }
    this.registry = Objects.requireNonNull(registry, "registry");
    this.options = Objects.requireNonNull(options, "options");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.metrics = new MonitorMetrics(registry, clock, options.meterRetention());
  }

  /**
   * Starts the HTTP server and subscribes to the topics; returns once the subscriptions are
   * live (hypergradients follow once the restore is over, see {@link #restored()}).
   *
   * @throws IllegalStateException when already started
   */
  public synchronized void start() {
    if (server != null) {
      throw new IllegalStateException("monitor already started");
    }
    // The runs topic tells which runs this start has to rebuild: those still running. The busy
    // topics are read from their horizon, so a restart on a cluster that has seen many runs
    // reads what is left of these, not everything. Runs that had ended get no meters again:
    // their series are in Prometheus already, and rebuilding them would mean reading their steps.
    List<RunEvent> runEvents = bus.replay(topics.runs()).collectList().block();
    RunHistory history = new RunHistory();
    runEvents.forEach(history::observe);
    Instant endedBy = clock.instant().minus(clockAllowance);
    Set<String> settled = history.endedBefore(endedBy);
    settled.forEach(metrics::endedBeforeStart);
    Instant since = history.horizon(Instant.now(), endedBy, clockAllowance);
    Predicate<RunEvent> toRebuild = event -> !settled.contains(event.runId())
        || !RunHistory.timeOf(event).isBefore(endedBy); // a settled run resumed since
    LOG.info("monitor restoring {} of {} runs from {}", history.size() - settled.size(),
        history.size(), since.equals(Instant.EPOCH) ? "the start of the topics" : since);
    server = MetricsServer.start(options.httpHost(), options.httpPort(), registry, this::health);
    // The runs are read from the whole history on every start, the forecasts, steps and
    // evaluations from the horizon, without a group; only the hypergradients are committed, in a
    // group per topic.
    subscriptions.add(
        bus.consume(topics.runs(), history("runs"))
            .filter(received -> {
              if (toRebuild.test(received.event())) {
                return true;
              }
              received.acknowledge();
              return false;
            })
            .concatMap(this::onRun)
            .subscribe(v -> {}, this::fail));

    // Forecasts are read live once the restore has made every run started before this start
    // known: read earlier, a forecast could come before its run's RunStarted and be refused.
    // Only meters wait on them (this monitor's own settle its periods when published), so they
    // are read in batches like the steps.
    subscriptions.add(
        restored.asMono()
            .thenMany(Flux.defer(() -> bus.consume(topics.forecasts(),
                history("forecasts").batchedUpTo(ConsumerOptions.BACKGROUND_BATCH_WAIT)
                    .since(since))))
            .concatMap(this::onForecast)
            .subscribe(v -> {}, this::fail));
    // The restore ends when the forecasts topic has been read up to its end offsets at start:
    // every period forecast before the restart is settled before a hypergradient is read. The
    // runs come first: a forecast settles its period only in its run's sequence.
    subscriptions.add(
        Flux.fromIterable(runEvents)
            .filter(toRebuild)
            .ofType(RunStarted.class)
            .concatMap(started -> settle(() -> tracker.runStarted(started)))
            .thenMany(bus.replay(topics.forecasts(), since))
            .concatMap(forecast -> settle(() -> tracker.forecastSeen(forecast)))
            .then()
            .subscribe(
                v -> {},
                this::fail,
                () -> {
                  restoreOver.set(true);
                  restored.tryEmitEmpty();
                }));
    subscriptions.add(
        restored
            .asMono()
            .thenMany(bus.consumeBatches(topics.hyperGradients(),
                ConsumerOptions.earliest(groupId + ".hypergradients")
                    .batchedUpTo(HYPERGRADIENT_BATCH_WAIT)))
            .concatMap(this::onHyperGradients)
            .subscribe(v -> {}, this::fail));

    // Step and evaluation meters are rebuilt from the whole history on every start (each step
    // counted once per run), so a restarted monitor serves the same values as before. Nothing
    // waits on them: they come in batches, which spares the broker a fetch per step.
    subscriptions.add(
        bus.consume(topics.steps(),
                history("steps").batchedUpTo(ConsumerOptions.BACKGROUND_BATCH_WAIT).since(since))
            .subscribe(this::onStep, this::fail));
    subscriptions.add(
        bus.consume(topics.evaluations(),
                history("evaluations").batchedUpTo(ConsumerOptions.BACKGROUND_BATCH_WAIT)
                    .since(since))
            .subscribe(this::onEvaluation, this::fail));
    subscriptions.add(Flux.interval(EXPIRY_PERIOD, Schedulers.parallel())
        .concatMap(tick -> expire())
        .subscribe(v -> {}, this::fail));
    LOG.info("monitor started: group {}, http {}:{}", groupId, options.httpHost(), port());
  }

  /** A reader {@code <group>.<name>} of a topic's whole history, committing nothing. */
  private ConsumerOptions history(String name) {
    return ConsumerOptions.wholeHistory(groupId + "." + name);
  }

  /**
   * The consumer groups a monitor of group {@code group} commits in: the hypergradients it has
   * processed. Every other topic is read from its start on every start of the monitor.
   */
  public static List<String> committingGroups(String group) {
    return List.of(group + ".hypergradients");
  }

  /** Completes once the forecasts published before this start have been read. */
  public Mono<Void> restored() {
    return restored.asMono();
  }

  /** The port the HTTP server listens on. */
  public synchronized int port() {
    if (server == null) {
      throw new IllegalStateException("monitor not started");
    }
    return server.port();
  }

  /**
   * Completes once a scrape of {@code /metrics} that starts after this call has been answered
   * (see {@link MetricsServer#nextScrape()}).
   */
  public synchronized java.util.concurrent.CompletableFuture<Void> nextScrape() {
    if (server == null) {
      throw new IllegalStateException("monitor not started");
    }
    return server.nextScrape();
  }

  /** Scrapes of {@code /metrics} received so far (0 before {@link #start}). */
  public synchronized long scrapesServed() {
    return server == null ? 0 : server.scrapesServed();
  }

  /** The meters, for callers that see events the topics do not carry, e.g. dead letters. */
  public MonitorMetrics metrics() {
    return metrics;
  }

  /**
   * Events handled so far, every topic together: a hypergradient counts once its forecast, if
   * it completed one, has been published. Lets a caller that feeds the monitor (a replay) wait
   * until it has caught up.
   */
  public long eventsHandled() {
    return handled.get();
  }

  /** Forecasts this monitor has published. */
  public long forecastsPublished() {
    return published.get();
  }

  /** The health the {@code /health} endpoint reports. */
  public Health health() {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("group", groupId);
    details.put("restored", restoreOver.get());
    details.put("forecastsPublished", published.get());
    Throwable error = failure.get();
    if (error != null) {
      details.put("error", String.valueOf(error.getMessage()).lines().findFirst().orElse(""));
    }
    return new Health(error == null, details);
  }

  /** Disposes the subscriptions and stops the HTTP server; the bus stays open. */
  @Override
  public synchronized void close() {
    subscriptions.dispose();
    if (server != null) {
      server.close();
    }
  }

  private void fail(Throwable error) {
    failure.compareAndSet(null, error);
    LOG.error("monitor subscription failed", error);
  }

  private void onStep(Received<TrainingStep> received) {
    metrics.step(received.event());
    received.acknowledge();
    handled.incrementAndGet();
  }

  private void onEvaluation(Received<Evaluation> received) {
    metrics.evaluation(received.event());
    received.acknowledge();
    handled.incrementAndGet();
  }

  /** Removes expired meters and lets go of points whose run never started. */
  Mono<Void> expire() {
    metrics.expireFinished();
    return settle(() -> tracker.expireWaiting(clock.millis()));
  }

  private Mono<Void> onRun(Received<RunEvent> received) {
    Supplier<ForecastTracker.Outcome> step;
    if (received.event() instanceof RunStarted started) {
      metrics.runStarted(started);
      step = () -> tracker.runStarted(started);
    } else {
      RunFinished finished = (RunFinished) received.event();
      metrics.runFinished(finished);
      step = () -> tracker.runFinished(finished.runId());
    }
    return settle(step).doOnSuccess(v -> {
      received.acknowledge();
      handled.incrementAndGet();
    });
  }

  private Mono<Void> onForecast(Received<TrajectoryForecast> received) {
    ForecastTracker.Outcome outcome = tracker.forecastSeen(received.event());
    if (outcome.rejection() != null) {
      received.reject(outcome.rejection());
      handled.incrementAndGet();
      return Mono.empty();
    }
    metrics.forecast(received.event());
    return settle(() -> outcome)
        .doOnSuccess(v -> {
          received.acknowledge();
          handled.incrementAndGet();
        });
  }

  /**
   * A poll's hypergradients: every forecast they complete leaves in one publish, so a batch
   * costs the broker a produce request or two, not one per forecast.
   */
  private Mono<Void> onHyperGradients(List<Received<HyperGradient>> batch) {
    batch.forEach(received -> metrics.hyperGradient(received.event()));
    return settle(() -> {
          List<ForecastTracker.Outcome> outcomes = new ArrayList<>(batch.size());
          for (Received<HyperGradient> received : batch) {
            outcomes.add(tracker.hyperGradient(received.event(), received.acknowledgement(),
                clock.millis()));
          }
          return ForecastTracker.Outcome.merged(outcomes);
        })
        .doOnSuccess(v -> handled.addAndGet(batch.size()));
  }

  /**
   * Runs a step of the tracker and hands the forecasts it makes to the producer, both under one
   * lock: the reader of the runs (a start releases the points that waited for it) and the reader
   * of the hypergradients both make forecasts, and a run's must reach the topic in the order of
   * its periods (a trainer takes them only in that order). Acknowledges what waits for nothing
   * at once, the forecasts' points once all are delivered; the Mono completes then.
   */
  private Mono<Void> settle(Supplier<ForecastTracker.Outcome> step) {
    ForecastTracker.Outcome outcome;
    CompletableFuture<Void> delivered = null;
    synchronized (forecasting) {
      outcome = step.get();
      List<ForecastTracker.Ready> ready = outcome.ready();
      if (!ready.isEmpty()) {
        // subscribed here: each forecast is handed to the producer before the lock is let go
        delivered = bus.publish(topics.forecasts(),
                Flux.fromIterable(ready).map(ForecastTracker.Ready::forecast))
            .then(Mono.<Void>fromRunnable(() -> {
              published.addAndGet(ready.size());
              for (ForecastTracker.Ready each : ready) {
                each.acknowledgements().forEach(Runnable::run);
                LOG.debug("published {}", each.forecast());
              }
            }))
            .toFuture();
      }
    }
    outcome.acknowledgeNow().forEach(Runnable::run);
    return delivered == null ? Mono.empty() : Mono.fromFuture(delivered);
  }
}
