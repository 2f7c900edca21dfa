package io.distilflux.trainer.run;

import io.distilflux.monitor.forecast.TrajectoryPredictor;
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
import io.distilflux.pipeline.meta.MetaOptimizerSettings;
import io.distilflux.pipeline.meta.MetaUpdateRule;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
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
 *
 * <p><b>Running ahead.</b> With {@code runAhead = n > 0} (and no staleness) a hypergradient
 * step does not wait for its update: the run computes it from its previous step's hypergradient
 * with the update rule its configuration names — {@link MetaUpdateRule#update}, the method the
 * meta-optimizer answers with, so the two agree bit for bit — trains on, and checks each of the
 * meta-optimizer's updates against its own when it arrives. A forecast run likewise fits each
 * period's line to its own hypergradients with the monitor's {@link TrajectoryPredictor#predict}
 * and checks the monitor's forecast against it. At most {@code n} updates and {@code n / (n·E)}
 * forecasts not yet matched may be outstanding; past that the run waits, and it finishes only
 * once every one is matched. A record that differs from the run's own (one not from the
 * services, or services of another version) is not taken: it is counted and logged, and the run
 * goes on waiting for the matching one until its timeout, whose message says what differed. The
 * numbers are those of a run that waits for every record; only the wait is gone, so the round
 * trips of a small student no longer set its pace.
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
  /** The rule the run computes its own updates with when it runs ahead; null when it waits. */
  private final MetaUpdateRule ownRule;
  /** The most steps trained on updates not matched yet; 0 when the run waits for each. */
  private final int runAhead;
  /** The run's extra meta-parameters in the order {@link MetaUpdateRule#update} takes them. */
  private final List<String> extraNames;
  /**
   * Updates the run computed itself, by version, until the meta-optimizer's matching update
   * arrives; guarded by {@code arrived}. At most {@code runAhead + 1} entries.
   */
  private final NavigableMap<Long, MetaPoint> unconfirmed = new TreeMap<>();
  /** Forecasts the run fitted itself, by period, until the monitor's matching one arrives. */
  private final NavigableMap<Long, TrajectoryForecast> unconfirmedForecasts = new TreeMap<>();
  /** The hypergradients of the current period's hypergradient mini-epoch, by step. */
  private final NavigableMap<Long, HyperGradient> window = new TreeMap<>();
  /** The meta-optimizer's updates that differed from the run's own; guarded by {@code arrived}. */
  private long differing;
  private String firstDifference;

  /**
   * Subscribes to the run's meta-parameter updates and forecasts with readers of its own.
   *
   * @param start the b of step 0
   */
  public StreamedMetaSource(
      EventBus bus, Topics topics, String runId, RunConfig config, Unconstrained start) {
    this(bus, topics, runId, config, start, 0);
  }

  /**
   * As the other constructor, running up to {@code runAhead} steps ahead of the meta-optimizer
   * (0: waiting for each update; see the class comment).
   */
  public StreamedMetaSource(EventBus bus, Topics topics, String runId, RunConfig config,
      Unconstrained start, int runAhead) {
    this(runId, config, start, null, bus, topics.hyperGradients(), runAhead);
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
    this(feed, runId, config, start, 0);
  }

  /**
   * As the other constructor, running up to {@code runAhead} steps ahead of the meta-optimizer
   * (0: waiting for each update; see the class comment).
   */
  public StreamedMetaSource(MetaFeed feed, String runId, RunConfig config, Unconstrained start,
      int runAhead) {
    this(runId, config, start, feed, null, null, runAhead);
    feed.attach(runId, this);
  }

  private StreamedMetaSource(String runId, RunConfig config, Unconstrained start, MetaFeed feed,
      EventBus bus, Channel<HyperGradient> hyperGradients, int runAhead) {
    if (runAhead < 0) {
      throw new IllegalArgumentException("runAhead must be >= 0, got " + runAhead);
    }
    this.runId = runId;
    this.bus = bus;
    this.hyperGradients = hyperGradients;
    this.config = config;
    this.start = start;
    this.feed = feed;
    long first = config.nextHyperGradientStep(-1);
    this.nextVersion = first == Long.MAX_VALUE ? Long.MAX_VALUE : first + 1;
    this.extraNames = List.copyOf(config.extraMeta().keySet());
    // Staleness already lets steps go on with older updates: the two do not combine.
    boolean ahead = runAhead > 0 && config.maxStaleness() == 0;
    this.ownRule = ahead
        ? MetaUpdateRule.of(MetaOptimizerSettings.defaults().forRun(config)) : null;
    this.runAhead = ahead ? runAhead : 0;
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
        MetaPoint own = unconfirmed.get(params.version());
        if (own != null) {
          MetaPoint theirs = point(params.b(), params.extraCoordinates(), MetaParamSource.OPTIMIZER);
          if (!own.equals(theirs)) {
            differ("update " + params.version(), "b " + theirs.b() + ", extra " + theirs.extra(),
                "b " + own.b() + ", extra " + own.extra());
            return;
          }
          unconfirmed.remove(params.version());
        }
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
        TrajectoryForecast own = unconfirmedForecasts.get(forecast.periodStart());
        if (own != null) {
          if (!own.equals(forecast)) {
            differ("the forecast of period " + forecast.periodStart(), forecast.toString(),
                own.toString());
            return;
          }
          unconfirmedForecasts.remove(forecast.periodStart());
        }
        forecasts.put(forecast.periodStart(), forecast);
        nextForecast += period();
        arrived.notifyAll();
      } else {
        passOver("forecast of period " + forecast.periodStart()
            + " (the run's next forecast period starts at " + nextForecast + ")");
      }
    }
  }

  /**
   * A record for steps the run trained on its own, different from the run's: not taken,
   * counted, logged once.
   */
  private void differ(String what, String theirs, String own) {
    differing++;
    if (firstDifference == null) {
      firstDifference = what + " came as " + theirs + "; the run's own is " + own;
      LOG.warn("run {}: {} differs from the one the run trained on, not taken (further ones not"
          + " logged): {}", runId, what, firstDifference);
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
  public boolean runsAhead() {
    return ownRule != null;
  }

  /**
   * Computes the update the meta-optimizer will answer this hypergradient with, when the run
   * runs ahead, and keeps it for the step that trains on it. Every hypergradient passes the rule
   * (Adam's moments move as the service's do), also those whose update no step reads.
   */
  @Override
  public void hyperGradientComputed(HyperGradient gradient) {
    if (ownRule == null) {
      return;
    }
    fitOwnForecast(gradient);
    double[] next = ownRule.update(gradient, extraNames);
    long version = gradient.step() + 1;
    // null: the service keeps the point for a non-finite record; the step waits for that
    if (next == null || version >= config.steps() || !readsUpdate(version)) {
      return;
    }
    Map<String, Double> extra = extraNames.isEmpty() ? Map.of() : new TreeMap<>();
    for (int i = 0; i < extraNames.size(); i++) {
      extra.put(extraNames.get(i), next[3 + i]);
    }
    MetaPoint own = point(new Unconstrained(next[0], next[1], next[2]), extra,
        MetaParamSource.OPTIMIZER);
    synchronized (arrived) {
      // Not already answered (it cannot be: it is not sent yet); and none past the bound, where
      // the step waits anyway (a run holding λ while the meta-optimizer is away keeps no more)
      if (version >= nextVersion && unconfirmed.size() <= runAhead) {
        unconfirmed.put(version, own);
      }
    }
  }

  /**
   * Keeps a forecast run's hypergradients of the current hypergradient mini-epoch and, after its
   * last, fits the period's line as the monitor will.
   */
  private void fitOwnForecast(HyperGradient gradient) {
    if (config.mode() != RunConfig.Mode.FORECAST) {
      return;
    }
    long periodStart = periodStart(gradient.step());
    if (!window.isEmpty() && window.firstKey() < periodStart) {
      window.clear(); // a period whose mini-epoch the run did not see whole (a resumed run)
    }
    window.put(gradient.step(), gradient);
    if (gradient.step() - periodStart != config.miniEpoch() - 1) {
      return;
    }
    TrajectoryForecast own = window.size() == config.miniEpoch()
        ? TrajectoryPredictor.predict(runId, config, periodStart, window.values()) : null;
    window.clear();
    if (own != null && periodStart + config.miniEpoch() < config.steps()) {
      synchronized (arrived) {
        if (periodStart >= nextForecast && unconfirmedForecasts.size() <= forecastsAhead()) {
          unconfirmedForecasts.put(periodStart, own);
        }
      }
    }
  }

  /** How many forecasts the run may train on before the monitor's match them. */
  private int forecastsAhead() {
    return (int) Math.max(1, runAhead / period());
  }

  @Override
  public void awaitConfirmed(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (arrived) {
      while (!unconfirmed.isEmpty() || !unconfirmedForecasts.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new MetaTimeoutException(oldestUnmatched(timeout));
        }
        arrived.wait(Math.max(1, left / 1_000_000), 0);
      }
    }
  }

  /** Whether a step trains on the meta-optimizer's update of its version (not an anchor or a line). */
  private boolean readsUpdate(long step) {
    long z = step - periodStart(step);
    return z >= 1 && (config.mode() != RunConfig.Mode.FORECAST || z < config.miniEpoch());
  }

  /** Steps in a forecast run's period: n·E. */
  private long period() {
    return (long) config.miniEpoch() * config.forecastEvery();
  }

  /** The first step of the step's forecast period; 0 for a run that does not forecast. */
  private long periodStart(long step) {
    return config.mode() == RunConfig.Mode.FORECAST ? step - step % period() : 0;
  }

  @Override
  public MetaPoint ready(long step) {
    MetaPoint point = tryPoint(step);
    if (point != null) {
      // a run ahead rarely waits in pointFor: what no later step reads goes here too
      forget(step);
    }
    return point;
  }

  private MetaPoint tryPoint(long step) {
    long periodStart = periodStart(step);
    long z = step - periodStart;
    if (config.mode() == RunConfig.Mode.FORECAST && z >= config.miniEpoch()) {
      TrajectoryForecast forecast = forecast(periodStart);
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
    if (ownRule != null) {
      synchronized (arrived) {
        MetaPoint own = unconfirmed.get(step);
        // the run's own update, unless runAhead steps already wait for theirs to be matched
        if (own != null && unconfirmed.size() <= runAhead) {
          return own;
        }
      }
    }
    return step - config.maxStaleness() <= periodStart ? anchor : null;
  }

  /** Updates, forecasts and hypergradients held, for tests of its memory. */
  int retained() {
    synchronized (arrived) {
      return updates.size() + forecasts.size() + unconfirmed.size()
          + unconfirmedForecasts.size() + window.size();
    }
  }

  /** Drops what no step after {@code step} reads; steps only move forward. */
  private void forget(long step) {
    updatesFloor = Math.max(updatesFloor, step - config.maxStaleness());
    updates.headMap(updatesFloor, false).clear();
    if (config.mode() == RunConfig.Mode.FORECAST) {
      // a period reads its own forecast and, as its anchor, the previous period's
      forecastsFloor = Math.max(forecastsFloor, periodStart(step) - period());
      forecasts.headMap(forecastsFloor, false).clear();
    }
  }

  /** The b a period starts from: the run's start, or the previous forecast line continued. */
  private MetaPoint anchor(long periodStart) {
    if (periodStart == 0) {
      return point(start, config.extraMeta(), MetaParamSource.INITIAL);
    }
    long previous = periodStart - period();
    TrajectoryForecast forecast = forecast(previous);
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

  /**
   * The monitor's forecast of a period, or the run's own while it may still train on one not
   * matched yet; null when neither.
   */
  private TrajectoryForecast forecast(long periodStart) {
    TrajectoryForecast published = forecasts.get(periodStart);
    if (published != null || ownRule == null) {
      return published;
    }
    synchronized (arrived) {
      TrajectoryForecast own = unconfirmedForecasts.get(periodStart);
      return own != null && unconfirmedForecasts.headMap(periodStart, false).size()
          < forecastsAhead() ? own : null;
    }
  }

  /** Why the run stopped waiting for the services to match its oldest own record. */
  private String oldestUnmatched(Duration timeout) {
    long update = unconfirmed.isEmpty() ? Long.MAX_VALUE : unconfirmed.firstKey();
    long forecast = unconfirmedForecasts.isEmpty() ? Long.MAX_VALUE
        : unconfirmedForecasts.firstKey() + config.miniEpoch();
    String what = update <= forecast
        ? "meta-parameter update for run " + runId + " step " + update
        : "trajectory forecast for run " + runId + " step " + forecast;
    String service = update <= forecast ? "meta-optimizer" : "monitor";
    String why = differing == 0 ? " (is the " + service + " running?)"
        : "; " + differing + " record(s) that differed were not taken, the first: "
            + firstDifference + " (do the services run the same distilflux version?)";
    return "no " + what + " matching the one the run trained on within " + timeout + why;
  }

  private String missing(long step, Duration timeout) {
    synchronized (arrived) {
      if (ownRule != null && (!unconfirmed.isEmpty() || !unconfirmedForecasts.isEmpty())) {
        return oldestUnmatched(timeout); // it waited for earlier records to be matched
      }
    }
    boolean forecastStep = config.mode() == RunConfig.Mode.FORECAST
        && step - periodStart(step) >= config.miniEpoch();
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
