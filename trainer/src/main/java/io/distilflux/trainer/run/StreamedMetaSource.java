package io.distilflux.trainer.run;

import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import java.time.Duration;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import reactor.core.Disposable;
import reactor.core.Disposables;

/**
 * Meta-parameters of the optimised modes, read from the bus: in hypergradient steps the
 * meta-optimizer's {@link MetaParams} for that step, in forecast steps the point on the
 * monitor's {@link TrajectoryForecast} line (method.md §4), evaluated locally. A hypergradient
 * mini-epoch after a forecast window starts where the line continues.
 *
 * <p>With {@code maxStaleness = k} a step t may use the newest update of version ≥ t − k
 * instead of waiting for version t.
 */
public final class StreamedMetaSource implements MetaSource {

  private final String runId;
  private final RunConfig config;
  private final Unconstrained start;
  private final NavigableMap<Long, MetaParams> updates = new ConcurrentSkipListMap<>();
  private final Map<Long, TrajectoryForecast> forecasts = new ConcurrentHashMap<>();
  private final Object arrived = new Object();
  private final Disposable.Composite subscriptions = Disposables.composite();
  /** The shared feed this source reads from, or null when it has readers of its own. */
  private final MetaFeed feed;

  /**
   * Subscribes to the run's meta-parameter updates and forecasts with readers of its own.
   *
   * @param start the b of step 0
   */
  public StreamedMetaSource(
      EventBus bus, Topics topics, String runId, RunConfig config, Unconstrained start) {
    this(runId, config, start, null);
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
    this(runId, config, start, feed);
    feed.attach(runId, this);
  }

  private StreamedMetaSource(String runId, RunConfig config, Unconstrained start, MetaFeed feed) {
    this.runId = runId;
    this.config = config;
    this.start = start;
    this.feed = feed;
  }

  private void accept(Received<? extends Event> received) {
    accept(received.event());
    received.acknowledge();
  }

  /** Keeps an update or a forecast of this run (the first of each version or period). */
  void accept(Event event) {
    if (event instanceof MetaParams update) {
      updates.putIfAbsent(update.version(), update);
    } else if (event instanceof TrajectoryForecast forecast) {
      forecasts.putIfAbsent(forecast.periodStart(), forecast);
    } else {
      return;
    }
    synchronized (arrived) {
      arrived.notifyAll();
    }
  }

  @Override
  public MetaPoint pointFor(long step, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (arrived) {
      while (true) {
        MetaPoint point = tryPoint(step);
        if (point != null) {
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
      return forecast == null ? null : MetaPoint.of(forecast.at(step), MetaParamSource.FORECAST);
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
      return MetaPoint.of(newest.getValue().b(), MetaParamSource.OPTIMIZER);
    }
    return step - config.maxStaleness() <= periodStart ? anchor : null;
  }

  /** The b a period starts from: the run's start, or the previous forecast line continued. */
  private MetaPoint anchor(long periodStart) {
    if (periodStart == 0) {
      return MetaPoint.of(start, MetaParamSource.INITIAL);
    }
    long previous = periodStart - (long) config.miniEpoch() * config.forecastEvery();
    TrajectoryForecast forecast = forecasts.get(previous);
    return forecast == null ? null : MetaPoint.of(forecast.at(periodStart), MetaParamSource.FORECAST);
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
  public void close() {
    subscriptions.dispose();
    if (feed != null) {
      feed.detach(runId);
    }
  }
}
