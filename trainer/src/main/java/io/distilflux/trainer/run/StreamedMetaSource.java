package io.distilflux.trainer.run;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import java.time.Duration;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;

/**
 * Meta-parameters of the optimised modes, read from the bus: in hypergradient steps the
 * meta-optimizer's {@link MetaParams} for that step, in forecast steps the point on the
 * monitor's {@link TrajectoryForecast} line (docs/method.md §4), evaluated locally. A hypergradient
 * mini-epoch after a forecast window starts where the line continues.
 *
 * <p>With {@code maxStaleness = k} a step t may use the newest update of version ≥ t − k
 * instead of waiting for version t.
 *
 * <p>Only the run's own sequence is taken, in the order of its partition: the meta-optimizer's
 * version of the run's next hypergradient step (versions 1, 2, … of a hypergradient run; the
 * first E of each period of a forecast run) and the forecast of the run's next period. Anything
 * else on the topics (another source, a version ahead of or behind the sequence, a second copy)
 * is passed over and logged, so a run never trains on an update it did not ask for.
 */
public final class StreamedMetaSource implements MetaSource {

  private static final Logger LOG = LoggerFactory.getLogger(StreamedMetaSource.class);

  private final String runId;
  private final RunConfig config;
  private final Unconstrained start;
  private final NavigableMap<Long, MetaParams> updates = new ConcurrentSkipListMap<>();
  private final NavigableMap<Long, TrajectoryForecast> forecasts = new ConcurrentSkipListMap<>();
  /**
   * Versions and periods below these no later step reads: they are dropped once a step is
   * served, and ignored when they arrive again, so a run of any length keeps a few entries.
   */
  private volatile long updatesFloor = Long.MIN_VALUE;
  private volatile long forecastsFloor = Long.MIN_VALUE;
  private final Object arrived = new Object();
  private final Disposable.Composite subscriptions = Disposables.composite();
  /** The only version taken next, and the start of the only forecast period taken next. */
  private long nextVersion;
  private long nextForecast;
  private final AtomicBoolean warned = new AtomicBoolean();
  /** The shared feed this source reads from, or null when it has readers of its own. */
  private final MetaFeed feed;
  /** The bus of a source with readers of its own, or null on a feed. */
  private final EventBus bus;
  /** Where this source's own run sends hypergradients; null with a feed. */
  private final Channel<HyperGradient> hyperGradients;

  /**
   * Subscribes to the run's meta-parameter updates and forecasts with readers of its own.
   *
   * @param start the b of step 0
   */
  public StreamedMetaSource(
      EventBus bus, Topics topics, String runId, RunConfig config, Unconstrained start) {
    this(runId, config, start, null, bus, topics.hyperGradients());
    // The run's whole history, from the earliest offset, so no update can slip by between
    // publishing a hypergradient and subscribing; nothing to commit, no group to join.
    ConsumerOptions options = ConsumerOptions.wholeHistory("trainer-" + runId).forRun(runId);
    subscriptions.add(bus.consume(topics.metaParams(), options).subscribe(this::accept));
    subscriptions.add(bus.consume(topics.forecasts(), options).subscribe(this::accept));
  }

  /**
   * Reads the run's meta-parameter updates and forecasts from a feed shared with other runs.
   *
   * @param start the b of step 0
   */
  public StreamedMetaSource(MetaFeed feed, String runId, RunConfig config, Unconstrained start) {
    this(runId, config, start, feed, null, null);
    feed.attach(runId, this);
  }

  private StreamedMetaSource(String runId, RunConfig config, Unconstrained start, MetaFeed feed,
      EventBus bus, Channel<HyperGradient> hyperGradients) {
    this.runId = runId;
    this.bus = bus;
    this.hyperGradients = hyperGradients;
    this.config = config;
    this.start = start;
    this.feed = feed;
    long first = config.nextHyperGradientStep(-1);
    this.nextVersion = first == Long.MAX_VALUE ? Long.MAX_VALUE : first + 1;
  }

  private void accept(Received<? extends Event> received) {
    accept(received.event());
    received.acknowledge();
  }

  /** Keeps an update or a forecast of this run if it is the next of the run's sequence. */
  void accept(Event event) {
    if (event instanceof MetaParams update) {
      storeUpdate(update);
    } else if (event instanceof TrajectoryForecast forecast) {
      storeForecast(forecast);
    }
  }

  private void storeUpdate(MetaParams params) {
    synchronized (arrived) {
      if (params.source() == MetaParamSource.OPTIMIZER && params.version() == nextVersion) {
        updates.put(params.version(), params);
        long step = config.nextHyperGradientStep(params.version() - 1);
        nextVersion = step == Long.MAX_VALUE ? Long.MAX_VALUE : step + 1;
        arrived.notifyAll();
      } else {
        passOver("metaparams version " + params.version() + " from " + params.source()
            + " (the run's next version is " + nextVersion + ")");
      }
    }
  }

  private void storeForecast(TrajectoryForecast forecast) {
    synchronized (arrived) {
      if (config.mode() == RunConfig.Mode.FORECAST && forecast.periodStart() == nextForecast) {
        forecasts.put(forecast.periodStart(), forecast);
        nextForecast += (long) config.miniEpoch() * config.forecastEvery();
        arrived.notifyAll();
      } else {
        passOver("forecast of period " + forecast.periodStart()
            + " (the run's next forecast period starts at " + nextForecast + ")");
      }
    }
  }

  /** Logs the first record of the run passed over; the rest are only skipped. */
  private void passOver(String what) {
    if (warned.compareAndSet(false, true)) {
      LOG.warn("run {}: {} is out of the run's sequence, not used (further ones not logged)",
          runId, what);
    }
  }

  @Override
  public MetaPoint pointFor(long step, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (arrived) {
      while (true) {
        MetaPoint point = tryPoint(step);
        if (point != null) {
          forget(step);
          return point;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new MetaTimeoutException(missing(step, timeout));
        }
        arrived.wait(Math.max(1, left / 1_000_000), 0);
      }
    }
  }

  @Override
  public boolean awaitsTheBus() {
    return true;
  }

  @Override
  public MetaPoint ready(long step) {
    return tryPoint(step);
  }

  private MetaPoint tryPoint(long step) {
    long period = config.mode() == RunConfig.Mode.FORECAST
        ? (long) config.miniEpoch() * config.forecastEvery()
        : Long.MAX_VALUE;
    long periodStart = period == Long.MAX_VALUE ? 0 : step - step % period;
    long z = step - periodStart;
    if (config.mode() == RunConfig.Mode.FORECAST && z >= config.miniEpoch()) {
      TrajectoryForecast forecast = forecasts.get(periodStart);
      return forecast == null ? null
          : point(forecast.at(step), forecast.extraAt(step), MetaParamSource.FORECAST);
    }
    MetaPoint anchor = anchor(periodStart);
    if (z == 0) {
      return anchor;
    }
    // Newest update for this period with version in [step − k, step].
    long oldest = Math.max(periodStart + 1, step - config.maxStaleness());
    Map.Entry<Long, MetaParams> newest = updates.floorEntry(step);
    if (newest != null && newest.getKey() >= oldest) {
      // Steps only move forward: versions older than this step's oldest are never read again.
      updates.headMap(oldest).clear();
      MetaParams update = newest.getValue();
      return point(update.b(), update.extraCoordinates(), MetaParamSource.OPTIMIZER);
    }
    return step - config.maxStaleness() <= periodStart ? anchor : null;
  }

  /** Updates and forecasts held, for tests of its memory. */
  int retained() {
    return updates.size() + forecasts.size();
  }

  /** Drops what no step after {@code step} reads; steps only move forward. */
  private void forget(long step) {
    updatesFloor = Math.max(updatesFloor, step - config.maxStaleness());
    updates.headMap(updatesFloor, false).clear();
    if (config.mode() == RunConfig.Mode.FORECAST) {
      long period = (long) config.miniEpoch() * config.forecastEvery();
      // a period reads its own forecast and, as its anchor, the previous period's
      forecastsFloor = Math.max(forecastsFloor, step - step % period - period);
      forecasts.headMap(forecastsFloor, false).clear();
    }
  }

  /** The b a period starts from: the run's start, or the previous forecast line continued. */
  private MetaPoint anchor(long periodStart) {
    if (periodStart == 0) {
      return point(start, config.extraMeta(), MetaParamSource.INITIAL);
    }
    long previous = periodStart - (long) config.miniEpoch() * config.forecastEvery();
    TrajectoryForecast forecast = forecasts.get(previous);
    return forecast == null ? null : point(forecast.at(periodStart),
        forecast.extraAt(periodStart), MetaParamSource.FORECAST);
  }

  /**
   * A point with the run's declared extra coordinates taken from {@code extra}: an update's, or
   * a forecast line's at the step. A declared name the record lacks (a line fitted to no finite
   * point) keeps the run's start; names the run did not declare are dropped.
   */
  private MetaPoint point(Unconstrained b, Map<String, Double> extra, MetaParamSource source) {
    MetaPoint point = MetaPoint.of(b, source);
    if (config.extraMeta().isEmpty()) {
      return point;
    }
    Map<String, Double> declared = new java.util.TreeMap<>();
    config.extraMeta().forEach((name, initial) -> {
      Double value = extra.get(name);
      declared.put(name, value != null && Double.isFinite(value) ? value : initial);
    });
    return point.withExtra(declared);
  }

  private String missing(long step, Duration timeout) {
    boolean forecastStep = config.mode() == RunConfig.Mode.FORECAST
        && step % ((long) config.miniEpoch() * config.forecastEvery()) >= config.miniEpoch();
    return forecastStep
        ? "no trajectory forecast for run " + runId + " step " + step + " within " + timeout
            + " (is the monitor running?)"
        : "no meta-parameter update for run " + runId + " step " + step + " within " + timeout
            + " (is the meta-optimizer running?)";
  }

  @Override
  public void stepStarts(long step, boolean sendsHyperGradient) {
    if (feed != null) {
      feed.rounds().stepStarts(runId, sendsHyperGradient);
    }
  }

  @Override
  public void hyperGradientSent(long step) {
    if (feed != null) {
      feed.rounds().sent(runId);
    } else {
      bus.endRound(hyperGradients); // a round of one
    }
  }

  @Override
  public void close() {
    subscriptions.dispose();
    if (feed != null) {
      feed.rounds().leave(runId);
      feed.detach(runId);
    }
  }
}
