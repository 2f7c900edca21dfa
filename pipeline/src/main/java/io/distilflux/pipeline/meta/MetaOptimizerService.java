package io.distilflux.pipeline.meta;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.RunHistory;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.pipeline.event.ExtraValue;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.RunEvent;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.Unconstrained;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The meta-optimizer of docs/method.md §3 as a service: consumes {@link HyperGradient}s of many
 * runs and publishes, per hypergradient of step t, {@code MetaParams(version = t + 1, b')}
 * keyed by run id, where b' = at − η·clip(g) (or the Adam step from {@code at}).
 *
 * <ul>
 *   <li>Per-run rule (optimizer, η, c) from the run's {@link RunStarted}; the service
 *       defaults where it does not set them.
 *   <li>Only a run's own sequence moves its state: a hypergradient is answered only when its
 *       step is the run's next hypergradient step after the last version published (from the
 *       run's configuration: every step, or the first E of each forecast period). Anything else
 *       is rejected to the dead-letter topic with the reason, once: a version already published
 *       (a duplicate, counted as such), a step ahead of or between the run's hypergradient steps,
 *       a run with no {@link RunStarted} (looked for on the runs topic, and once more 250 ms
 *       later, before it is rejected; no state is kept for it). MetaParams on the topic that are
 *       ahead of the sequence are dead-lettered by the state feed and do not move it either.
 *   <li>A run that declares extra meta-parameters ({@code RunConfig.extraMeta}) has them
 *       updated by the same rule, coordinate by coordinate, after b; they are published in
 *       the MetaParams' {@code extra}. A name the run did not declare is ignored; a declared one
 *       that is missing counts as non-finite.
 *   <li>A hypergradient with a non-finite component (in {@code gradient} or {@code at}) does
 *       not update b but its version is still published with b unchanged, so the trainer,
 *       which waits for that version, goes on; it is counted and logged on one line. When
 *       {@code at} itself is not finite the last finite b of the run is kept.
 *   <li>State is rebuilt from the topics, not kept only in memory: on {@link #start()} the
 *       runs topic is read whole and the metaparams topic from the horizon of the runs still
 *       running ({@link RunHistory#horizon}; and, where a run uses Adam, the hypergradients
 *       are replayed through the same recursion up to the last published version) before
 *       hypergradients are consumed with the service's group,
 *       acknowledging each after its MetaParams is written. The metaparams topic stays
 *       followed afterwards, so when partitions move between instances of one group the new
 *       owner already knows the last version of every run; a hypergradient ahead of what that
 *       feed has read makes the service reread the topic for its run first (at most once a
 *       second per run), since the feed may lag the instance that handed the partition over; and
 *       an Adam run whose versions were published elsewhere has its hypergradients replayed
 *       into its moments before its next update, so a handover does not change its updates.
 * </ul>
 *
 * <p>The service does not own the bus: {@link #close()} stops consumption, the caller closes
 * the bus.
 */
public final class MetaOptimizerService implements AutoCloseable {

  /** Longest {@link #close()} waits for MetaParams already published to be acknowledged. */
  private static final java.time.Duration DRAIN_TIMEOUT = java.time.Duration.ofSeconds(2);
  /**
   * How far the state feed may lag its own updates: well below the seconds a partition takes
   * to move to another instance, shorter than a background reader's wait.
   */
  private static final java.time.Duration STATE_BATCH_WAIT = java.time.Duration.ofMillis(200);

  /**
   * How long a hypergradient of a run whose RunStarted is not on the runs topic yet waits for it
   * before it is rejected: a trainer's RunStarted is sent before its first hypergradient, but to
   * another partition (on a cluster, another broker), so it may be appended a little later.
   */
  private static final java.time.Duration START_GRACE = java.time.Duration.ofMillis(250);
  /**
   * Least time between two rereads of the metaparams topic for one run's hypergradient that is
   * ahead of its known versions (see {@link #catchUpThenDecide}).
   */
  private static final java.time.Duration CATCH_UP_INTERVAL = java.time.Duration.ofSeconds(1);
  /** Runs remembered as never started, and runs whose MetaParams wait for their start. */
  private static final int MAX_UNSTARTED_RUNS = 1024;
  /** MetaParams kept per run that waits for its start. */
  private static final int MAX_WAITING_PARAMS = 4096;

  private static final Logger LOG = LoggerFactory.getLogger(MetaOptimizerService.class);

  /** The meta-optimizer's default consumer group. */
  public static final String DEFAULT_GROUP = "distilflux-meta-optimizer";

  private final EventBus bus;
  private final Topics topics;
  private final String groupId;
  private final MetaOptimizerSettings defaults;
  private final java.time.Duration batchWait;
  private final Map<String, RunState> runs = new ConcurrentHashMap<>();
  private final AtomicLong updates = new AtomicLong();
  private final AtomicLong skippedNonFinite = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  /** Runs looked for and not found on the runs topic: their records are rejected at once. */
  private final Set<String> unstarted = ConcurrentHashMap.newKeySet();
  /** MetaParams of runs whose RunStarted the state feed has not read yet, oldest run first. */
  private final Map<String, List<Observed>> waitingForStart =
      new LinkedHashMap<>(16, 0.75f, false);
  private final AtomicInteger processedRuns = new AtomicInteger();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicReference<String> failure = new AtomicReference<>();
  private final Disposable.Composite subscriptions = Disposables.composite();
  private final ArrayDeque<Decision> awaitingDelivery = new ArrayDeque<>();
  /** Set by {@link #close()}: hypergradients from then on are left for the group's next owner. */
  private volatile boolean closing;
  /** How far apart the writers' clocks may be, for the horizon of the start's reads. */
  private final java.time.Duration clockAllowance;

  /**
   * A service that is not yet consuming.
   *
   * @param bus transport of the events
   * @param topics topic names of the deployment
   * @param groupId consumer group of the hypergradient consumer; instances sharing it split
   *     the runs
   * @param defaults rule for runs whose RunStarted was not seen
   */
  public MetaOptimizerService(
      EventBus bus, Topics topics, String groupId, MetaOptimizerSettings defaults) {
    this(bus, topics, groupId, defaults, java.time.Duration.ZERO);
  }

  /**
   * As the other constructor, the hypergradients held back up to {@code batchWait} to be read in
   * fewer, larger batches (see {@link ConsumerOptions#batchWait()}). For trainers that run ahead
   * of the service (nobody waits on a single update): each batch is one round of updates, and
   * the broker and both clients handle a request per batch instead of one per few records. Zero
   * answers each hypergradient as soon as it is there, for trainers that wait on every update.
   *
   * @throws IllegalArgumentException when {@code batchWait} is negative
   */
  public MetaOptimizerService(EventBus bus, Topics topics, String groupId,
      MetaOptimizerSettings defaults, java.time.Duration batchWait) {
    this(bus, topics, groupId, defaults, batchWait, RunHistory.CLOCK_ALLOWANCE);
  }

  /**
   * As the other constructors, with how far apart the clocks of the hosts writing the topics
   * may be (see {@link RunHistory#horizon}); tests with a single clock take zero.
   */
  MetaOptimizerService(EventBus bus, Topics topics, String groupId,
      MetaOptimizerSettings defaults, java.time.Duration batchWait,
      java.time.Duration clockAllowance) {
    this.clockAllowance = Objects.requireNonNull(clockAllowance, "clockAllowance");
    this.bus = Objects.requireNonNull(bus, "bus");
    this.topics = Objects.requireNonNull(topics, "topics");
    this.defaults = Objects.requireNonNull(defaults, "defaults");
    this.batchWait = Objects.requireNonNull(batchWait, "batchWait");
    if (batchWait.isNegative()) {
      throw new IllegalArgumentException("batchWait must not be negative, got " + batchWait);
    }
    if (groupId == null || groupId.isBlank()) {
      throw new IllegalArgumentException("groupId must not be blank");
    }
    this.groupId = groupId;
  }

  /**
   * Rebuilds the per-run state from the topics, then starts consuming hypergradients. Blocks
   * until the rebuild is done: the runs topic, then the metaparams topic from the horizon of the
   * runs still running, are read up to the end offsets they have when the rebuild starts (and,
   * where a run uses Adam, the hypergradients up to theirs), so nothing of these runs published
   * before the start is missed, however slow the broker. The versions of runs that had ended are
   * read when a hypergradient of theirs comes again.
   *
   * @throws IllegalStateException when called twice
   */
  public void start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("meta-optimizer service already started");
    }
    // The runs first: only a run's RunStarted tells which versions fit its sequence. The busy
    // topics are read from the horizon of the runs that still run: runs that ended before this
    // start have their versions read only if a hypergradient of theirs ever comes again.
    RunHistory history = new RunHistory();
    bus.replay(topics.runs())
        .doOnNext(event -> {
          observeRunEvent(event);
          history.observe(event);
        })
        .then()
        .block();
    Instant now = Instant.now();
    Instant since = history.horizon(now, now, clockAllowance);
    for (String ended : history.endedBefore(now)) {
      RunState state = state(ended);
      if (state != null) {
        synchronized (state) {
          state.versionsUnread = true;
        }
      }
    }
    bus.replay(topics.metaParams(), since)
        .doOnNext(params -> observeMetaParams(new Observed(params, null)))
        .then()
        .block();
    boolean anyAdam =
        defaults.optimizer() == OptimizerKind.ADAM
            || runs.values().stream().anyMatch(this::usesAdam);
    if (anyAdam) {
      bus.replay(topics.hyperGradients(), since)
          .doOnNext(this::replayHyperGradient)
          .then()
          .block();
    }
    // Kept followed from the beginning (observing is idempotent): when partitions move between
    // instances of one group, the new owner already knows the last version of every run. The
    // updates are read in batches: a partition moves seconds after its owner's last update at
    // the soonest (a session timeout, or a close that commits first), so a lag of 200 ms loses
    // nothing and saves a fetch and a wake-up per update. A run's start is read at once: its
    // settings must be known before its first hypergradient.
    String stateReader = groupId + ".state";
    subscriptions.add(follow(topics.metaParams(),
        ConsumerOptions.wholeHistory(stateReader).batchedUpTo(STATE_BATCH_WAIT).since(since),
        received -> observeMetaParams(new Observed(received.event(), received))));
    subscriptions.add(follow(topics.runs(), ConsumerOptions.wholeHistory(stateReader),
        received -> {
          observeRunEvent(received.event());
          received.acknowledge();
        }));

    // One long-lived publish stream: transports emit deliveries in order, so each delivery
    // settles the oldest in-flight decision, and acknowledgements follow consumption order.
    // Every hypergradient of a poll (many runs' when many wait at once) is decided before the
    // first update is sent, so the updates leave together in few produce requests.
    Flux<MetaParams> outputs =
        bus.consumeBatches(topics.hyperGradients(),
                ConsumerOptions.earliest(groupId).batchedUpTo(batchWait))
            .concatMap(batch -> Flux.fromIterable(batch)
                // unacknowledged, so uncommitted: the instance that takes the partition decides it
                .filter(received -> !closing)
                .concatMap(this::decideOnceStartKnown)
                .filter(this::holdUntilDelivered)
                .map(Decision::output)
                .collectList())
            // the updates of a poll are one round: ended once all are handed to the bus
            .concatMap(updates -> Flux.fromIterable(updates)
                .concatWith(Mono.<MetaParams>fromRunnable(
                    () -> bus.endRound(topics.metaParams()))));
    subscriptions.add(
        bus.publish(topics.metaParams(), outputs)
            .subscribe(
                delivery -> settleDelivered(),
                error -> {
                  failed("meta-optimizer stopped: " + error);
                  LOG.error("meta-optimizer stopped: {}", error.toString());
                }));
    running.set(true);
    LOG.info("meta-optimizer started: group {}, {} runs known, state read from {}", groupId,
        runs.size(), since.equals(Instant.EPOCH) ? "the start of the topics" : since);
  }

  /** The counters now. */
  public MetaOptimizerStats stats() {
    return new MetaOptimizerStats(updates.get(), skippedNonFinite.get(), duplicates.get(),
        rejected.get(), processedRuns.get());
  }

  /**
   * Whether the service is consuming: started, caught up, not closed, and no subscription has
   * failed (see {@link #failure()}).
   */
  public boolean healthy() {
    return running.get() && failure.get() == null;
  }

  /** The first failure of a subscription, on one line, or empty. */
  public Optional<String> failure() {
    return Optional.ofNullable(failure.get());
  }

  private void failed(String reason) {
    failure.compareAndSet(null, reason.lines().findFirst().orElse(reason));
  }

  /**
   * Stops consuming once the MetaParams already published are acknowledged (at most 2 s), so
   * that their hypergradients are committed; the bus stays open.
   */
  @Override
  public void close() {
    // Drain first: a MetaParams published but not yet acknowledged would leave its hypergradient
    // uncommitted, and the instance taking the partition over would publish that version again.
    closing = true;
    long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
    synchronized (awaitingDelivery) {
      while (running.get() && failure.get() == null && !awaitingDelivery.isEmpty()
          && System.nanoTime() < deadline) {
        try {
          awaitingDelivery.wait(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    running.set(false);
    subscriptions.dispose();
  }

  private <E extends Event> Disposable follow(
      Channel<E> channel, ConsumerOptions options, Consumer<Received<E>> observer) {
    return bus.consume(channel, options)
        .subscribe(
            observer,
            error -> {
              failed("state feed " + channel.topic() + " stopped: " + error);
              LOG.error("state feed {} stopped: {}", channel.topic(), error.toString());
            });
  }

  /** The state of a run whose RunStarted was seen, or null. */
  private RunState state(String runId) {
    return runs.get(runId);
  }

  private boolean usesAdam(RunState state) {
    synchronized (state) {
      return state.usesAdam(defaults);
    }
  }

  /**
   * Follows a run's published versions. Only the optimizer's versions count, and only in the
   * run's sequence: the next one is taken, an earlier one (this instance's own, read back) is
   * passed over, one ahead is dead-lettered (when read live). A run not started yet keeps its
   * MetaParams until its RunStarted comes.
   */
  private void observeMetaParams(Observed observed) {
    MetaParams params = observed.params();
    RunState state = state(params.runId());
    if (state == null) {
      waitForStart(observed);
      return;
    }
    String rejection = null;
    synchronized (state) {
      if (params.source() == MetaParamSource.OPTIMIZER && params.version() > state.lastVersion) {
        if (params.version() == state.expectedVersion()) {
          state.lastVersion = params.version();
          if (params.b() != null && params.b().isFinite()) {
            state.lastBVersion = params.version();
            state.lastB = params.b();
            state.lastExtra = params.extraCoordinates();
          }
        } else {
          rejection = "metaparams version " + params.version() + " of run " + params.runId()
              + " is out of sequence: the run's next version is " + state.expectedVersion();
        }
      }
    }
    if (observed.received() == null) {
      return;
    }
    if (rejection != null) {
      observed.received().reject(rejection);
    } else {
      observed.received().acknowledge();
    }
  }

  /** Keeps MetaParams of a run not known to have started; the oldest run's go first. */
  private void waitForStart(Observed observed) {
    List<Observed> evicted = List.of();
    synchronized (waitingForStart) {
      if (runs.containsKey(observed.params().runId())) {
        evicted = null; // started meanwhile (its start takes this lock): observe it now
      } else {
        List<Observed> waiting =
            waitingForStart.computeIfAbsent(observed.params().runId(), id -> new ArrayList<>());
        if (waiting.size() < MAX_WAITING_PARAMS) {
          waiting.add(observed);
        } else {
          evicted = List.of(observed);
        }
        if (waitingForStart.size() > MAX_UNSTARTED_RUNS) {
          Iterator<List<Observed>> oldest = waitingForStart.values().iterator();
          evicted = oldest.next();
          oldest.remove();
        }
      }
    }
    if (evicted == null) {
      observeMetaParams(observed);
      return;
    }
    for (Observed dropped : evicted) {
      if (dropped.received() != null) {
        dropped.received().reject("metaparams of run " + dropped.params().runId()
            + ", which has no RunStarted");
      }
    }
  }

  private void observeRunEvent(RunEvent event) {
    if (!(event instanceof RunStarted) && !runs.containsKey(event.runId())) {
      return; // the end of a run never started: nothing to keep
    }
    RunState state;
    if (event instanceof RunStarted started) {
      synchronized (waitingForStart) { // so no MetaParams is left waiting behind the start
        state = runs.computeIfAbsent(event.runId(), id -> new RunState(started.config()));
      }
    } else {
      state = runs.get(event.runId());
    }
    synchronized (state) {
      if (event instanceof RunStarted started) {
        state.firstStartMillis = Math.min(state.firstStartMillis, started.startedAtMillis());
        state.initial = started.config().initial();
        try {
          MetaOptimizerSettings asked = defaults.forRun(started.config());
          if (!asked.equals(state.settings)) {
            state.settings = asked;
            state.rule = null;
          }
        } catch (IllegalArgumentException | NullPointerException e) {
          String message = String.valueOf(e.getMessage());
          String field =
              message.startsWith("learningRate")
                  ? "metaLearningRate"
                  : message.startsWith("clip") ? "metaClip" : "metaOptimizer";
          LOG.warn(
              "run {}: RunStarted config.{} invalid ({}), using the service defaults",
              event.runId(), field, message);
        }
      } else if (event instanceof RunFinished) {
        // The Adam moments are no longer needed; lastVersion stays for late duplicates.
        state.rule = null;
      }
    }
    if (event instanceof RunStarted) {
      unstarted.remove(event.runId());
      List<Observed> waiting;
      synchronized (waitingForStart) {
        waiting = waitingForStart.remove(event.runId());
      }
      if (waiting != null) {
        waiting.forEach(this::observeMetaParams);
      }
    }
  }

  private void replayHyperGradient(HyperGradient gradient) {
    RunState state = state(gradient.runId());
    if (state == null) {
      return;
    }
    long version = gradient.step() + 1;
    synchronized (state) {
      // Same recursion as decide(): only versions that were published, each once, in order.
      if (version <= state.lastVersion && version > state.replayedVersion) {
        if (state.usesAdam(defaults)) {
          state.rule(defaults).update(gradient, state.extraNames()); // null: not finite, skipped
        }
        state.replayedVersion = version;
      }
    }
  }

  /**
   * Decides at once for a run whose start is known (or known never to have come); otherwise
   * looks for its RunStarted on the runs topic first, and once more after {@link #START_GRACE}.
   */
  private Mono<Decision> decideOnceStartKnown(Received<HyperGradient> received) {
    String runId = received.event().runId();
    if (runs.containsKey(runId) || unstarted.contains(runId)) {
      return catchUpThenDecide(received);
    }
    Mono<Boolean> look = bus.replay(topics.runs())
        .filter(event -> event.runId().equals(runId))
        .doOnNext(this::observeRunEvent)
        .then(Mono.fromCallable(() -> runs.containsKey(runId)));
    return look
        .flatMap(found -> found ? Mono.just(true) : Mono.delay(START_GRACE).then(look))
        .flatMap(found -> {
          if (!found) {
            if (unstarted.size() >= MAX_UNSTARTED_RUNS) {
              unstarted.clear();
            }
            unstarted.add(runId);
          }
          return catchUpThenDecide(received);
        });
  }

  /**
   * Decides; but a hypergradient ahead of the run's versions known here is decided only after the
   * metaparams topic has been read to its end for the run. When another instance of the group
   * has just handed the run's partition over, the versions it published may not have reached
   * this instance's state feed yet (it reads in batches, and lags under load): without the
   * reread, the run's next hypergradient would be rejected as out of sequence and the run would
   * wait for its update forever.
   */
  private Mono<Decision> catchUpThenDecide(Received<HyperGradient> received) {
    HyperGradient gradient = received.event();
    RunState state = state(gradient.runId());
    if (state == null) {
      return Mono.just(decide(received));
    }
    boolean reread;
    boolean replay;
    synchronized (state) {
      reread = state.versionsUnread || state.ahead(gradient.step() + 1)
          && state.takeCatchUp(System.nanoTime(), CATCH_UP_INTERVAL.toNanos());
      state.versionsUnread = false;
      replay = state.momentsBehind(defaults);
    }
    if (!reread && !replay) {
      return Mono.just(decide(received));
    }
    Mono<Void> versions = reread
        ? bus.replay(topics.metaParams(), recordsSince(state))
            .filter(params -> params.runId().equals(gradient.runId()))
            .doOnNext(params -> observeMetaParams(new Observed(params, null)))
            .then()
        : Mono.empty();
    return versions
        .then(Mono.defer(() -> replayMoments(state, gradient.runId())))
        .then(Mono.fromCallable(() -> decide(received)));
  }

  /**
   * Brings an Adam run's moments up to its last published version by replaying its
   * hypergradients, when versions were published by another instance: without it, the run's
   * next update would start from moments that missed them, and differ from the update an
   * uninterrupted meta-optimizer makes. Versions whose hypergradients are no longer on the topic
   * are passed over once, not looked for again at every step.
   */
  private Mono<Void> replayMoments(RunState state, String runId) {
    long target;
    synchronized (state) {
      if (!state.momentsBehind(defaults)) {
        return Mono.empty();
      }
      target = state.lastVersion;
    }
    return bus.replay(topics.hyperGradients(), recordsSince(state))
        .filter(gradient -> gradient.runId().equals(runId))
        .doOnNext(this::replayHyperGradient)
        .then(Mono.fromRunnable(() -> {
          synchronized (state) {
            state.replayedVersion = Math.max(state.replayedVersion, target);
          }
        }));
  }

  /** Where the run's records begin on the busy topics: its first start, less the allowance. */
  private Instant recordsSince(RunState state) {
    long start;
    synchronized (state) {
      start = state.firstStartMillis;
    }
    long from = start == Long.MAX_VALUE ? 0 : start - clockAllowance.toMillis();
    return from <= 0 ? Instant.EPOCH : Instant.ofEpochMilli(from);
  }

  private Decision decide(Received<HyperGradient> received) {
    HyperGradient gradient = received.event();
    long version = gradient.step() + 1;
    RunState state = state(gradient.runId());
    if (state == null) {
      rejected.incrementAndGet();
      return Decision.rejected(received,
          "hypergradient of run " + gradient.runId() + ", which has no RunStarted");
    }
    Unconstrained next;
    Map<String, ExtraValue> nextExtra = new LinkedHashMap<>();
    synchronized (state) {
      if (!state.processed) {
        state.processed = true;
        processedRuns.incrementAndGet();
      }
      if (version <= state.lastVersion) {
        duplicates.incrementAndGet();
        return Decision.rejected(received, "hypergradient of run " + gradient.runId()
            + " step " + gradient.step() + " is a duplicate: version " + version
            + " is already published (last " + state.lastVersion + ")");
      }
      long expected = state.expectedVersion();
      if (version != expected) {
        rejected.incrementAndGet();
        return Decision.rejected(received, "hypergradient of run " + gradient.runId()
            + " step " + gradient.step() + " is out of sequence: the run's next hypergradient"
            + " step is " + (expected == Long.MAX_VALUE ? "none" : expected - 1));
      }
      // b, then the extra coordinates the run declared (names it did not declare are ignored)
      List<String> names = state.extraNames();
      double[] nextPoint = state.rule(defaults).update(gradient, names);
      if (nextPoint != null) {
        next = new Unconstrained(nextPoint[0], nextPoint[1], nextPoint[2]);
        updates.incrementAndGet();
      } else {
        double[] at = MetaUpdateRule.coordinates(gradient, names, false);
        Unconstrained kept = finite(gradient.at()) ? gradient.at() : state.fallbackPoint();
        next = kept != null ? kept : gradient.at();
        nextPoint = at == null ? new double[3 + names.size()] : at.clone();
        for (int i = 0; i < names.size(); i++) {
          if (!Double.isFinite(nextPoint[3 + i]) || at == null) {
            nextPoint[3 + i] = state.fallbackExtra(names.get(i));
          }
        }
        skippedNonFinite.incrementAndGet();
        LOG.warn("run {} step {}: non-finite hypergradient (gradient={}, at={}, extra={}, ‖v‖²={}),"
                + " b kept at {}", gradient.runId(), gradient.step(), gradient.gradient(),
            gradient.at(), gradient.extra(), gradient.validationGradientNormSquared(), next);
      }
      for (int i = 0; i < names.size(); i++) {
        nextExtra.put(names.get(i),
            ExtraValue.of(ExtraParameter.require(names.get(i)), nextPoint[3 + i]));
      }
      // Reserve the version before publishing so a concurrent duplicate is already skipped.
      state.lastVersion = version;
      state.replayedVersion = version;
      state.lastBVersion = version;
      state.lastB = next;
      Map<String, Double> extraB = new LinkedHashMap<>();
      nextExtra.forEach((name, value) -> extraB.put(name, value.b()));
      state.lastExtra = extraB;
    }
    MetaParams params =
        new MetaParams(
            Event.CURRENT_SCHEMA_VERSION,
            gradient.runId(),
            version,
            next == null ? null : next.toValues(),
            next,
            MetaParamSource.OPTIMIZER,
            nextExtra);
    return new Decision(received, params, null);
  }

  /**
   * Queues a decision behind the publishes in flight; one without output and nothing in flight
   * before it is acknowledged at once. Returns whether it has a MetaParams to publish.
   */
  private boolean holdUntilDelivered(Decision decision) {
    synchronized (awaitingDelivery) {
      if (decision.output() == null && awaitingDelivery.isEmpty()) {
        decision.settle();
        return false;
      }
      awaitingDelivery.addLast(decision);
      return decision.output() != null;
    }
  }

  /** Acknowledges the oldest published decision and the skipped ones queued right behind it. */
  private void settleDelivered() {
    synchronized (awaitingDelivery) {
      Decision head;
      do {
        head = awaitingDelivery.pollFirst();
        if (head == null) {
          throw new IllegalStateException("a delivery arrived with no MetaParams in flight");
        }
        head.settle();
      } while (head.output() == null);
      while (!awaitingDelivery.isEmpty() && awaitingDelivery.peekFirst().output() == null) {
        awaitingDelivery.pollFirst().settle();
      }
    }
  }

  private static boolean finite(Unconstrained b) {
    return b != null && b.isFinite();
  }

  /**
   * A consumed hypergradient and the MetaParams it produced, if any, or why it was rejected.
   */
  private record Decision(Received<HyperGradient> received, MetaParams output, String rejection) {

    static Decision rejected(Received<HyperGradient> received, String reason) {
      return new Decision(received, null, reason);
    }

    /** Acknowledges the record, or dead-letters it (which acknowledges it once written). */
    void settle() {
      if (rejection == null) {
        received.acknowledge();
      } else {
        received.reject(rejection);
      }
    }
  }

  /** A MetaParams read from the topic, with its record when read live (null in a replay). */
  private record Observed(MetaParams params, Received<MetaParams> received) {}
}
