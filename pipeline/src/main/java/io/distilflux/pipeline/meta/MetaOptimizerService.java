package io.distilflux.pipeline.meta;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.RunEvent;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.Unconstrained;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/**
 * The meta-optimizer of method.md §3 as a service: consumes {@link HyperGradient}s of many
 * runs and publishes, per hypergradient of step t, {@code MetaParams(version = t + 1, b')}
 * keyed by run id, where b' = at − η·clip(g) (or the Adam step from {@code at}).
 *
 * <ul>
 *   <li>Per-run rule (optimizer, η, c) from the run's {@link RunStarted}; the service
 *       defaults for runs whose RunStarted was not seen.
 *   <li>At most one update per version: a hypergradient whose version t + 1 is not above the
 *       highest version already published for its run is skipped and counted as a duplicate.
 *   <li>A hypergradient with a non-finite component (in {@code gradient} or {@code at}) does
 *       not update b but its version is still published with b unchanged, so the trainer,
 *       which waits for that version, goes on; it is counted and logged on one line. When
 *       {@code at} itself is not finite the last finite b of the run is kept.
 *   <li>State is rebuilt from the topics, not kept only in memory: on {@link #start()} the
 *       metaparams and runs topics are read from the earliest offset (and, where a run uses
 *       Adam, the hypergradients are replayed through the same recursion up to the last
 *       published version) before hypergradients are consumed with the service's group,
 *       acknowledging each after its MetaParams is written. The metaparams topic stays
 *       followed afterwards, so when partitions move between instances of one group the new
 *       owner already knows the last version of every run.
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

  private static final Logger LOG = LoggerFactory.getLogger(MetaOptimizerService.class);

  /** The meta-optimizer's default consumer group. */
  public static final String DEFAULT_GROUP = "distilflux-meta-optimizer";

  private final EventBus bus;
  private final Topics topics;
  private final String groupId;
  private final MetaOptimizerSettings defaults;
  private final Map<String, RunState> runs = new ConcurrentHashMap<>();
  private final AtomicLong updates = new AtomicLong();
  private final AtomicLong skippedNonFinite = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicInteger processedRuns = new AtomicInteger();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicReference<String> failure = new AtomicReference<>();
  private final Disposable.Composite subscriptions = Disposables.composite();
  private final ArrayDeque<Decision> awaitingDelivery = new ArrayDeque<>();
  /** Set by {@link #close()}: hypergradients from then on are left for the group's next owner. */
  private volatile boolean closing;

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
    this.bus = Objects.requireNonNull(bus, "bus");
    this.topics = Objects.requireNonNull(topics, "topics");
    this.defaults = Objects.requireNonNull(defaults, "defaults");
    if (groupId == null || groupId.isBlank()) {
      throw new IllegalArgumentException("groupId must not be blank");
    }
    this.groupId = groupId;
  }

  /**
   * Rebuilds the per-run state from the topics, then starts consuming hypergradients. Blocks
   * until the rebuild is done: the metaparams and runs topics are read up to the end offsets
   * they have when the rebuild starts (and, where a run uses Adam, the hypergradients up to
   * theirs), so nothing published before the start is missed, however slow the broker.
   *
   * @throws IllegalStateException when called twice
   */
  public void start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("meta-optimizer service already started");
    }
    Flux.merge(
            bus.replay(topics.metaParams()).doOnNext(this::observeMetaParams),
            bus.replay(topics.runs()).doOnNext(this::observeRunEvent))
        .then()
        .block();
    boolean anyAdam =
        defaults.optimizer() == OptimizerKind.ADAM
            || runs.values().stream().anyMatch(this::usesAdam);
    if (anyAdam) {
      bus.replay(topics.hyperGradients()).doOnNext(this::replayHyperGradient).then().block();
    }
    // Kept followed from the beginning (observing is idempotent): when partitions move between
    // instances of one group, the new owner already knows the last version of every run. The
    // updates are read in batches: a partition moves seconds after its owner's last update at
    // the soonest (a session timeout, or a close that commits first), so a lag of 200 ms loses
    // nothing and saves a fetch and a wake-up per update. A run's start is read at once: its
    // settings must be known before its first hypergradient.
    String stateReader = groupId + ".state";
    subscriptions.add(follow(topics.metaParams(),
        ConsumerOptions.wholeHistory(stateReader).batchedUpTo(STATE_BATCH_WAIT),
        this::observeMetaParams));
    subscriptions.add(
        follow(topics.runs(), ConsumerOptions.wholeHistory(stateReader), this::observeRunEvent));

    // One long-lived publish stream: transports emit deliveries in order, so each delivery
    // settles the oldest in-flight decision, and acknowledgements follow consumption order.
    // Every hypergradient of a poll (many runs' when many wait at once) is decided before the
    // first update is sent, so the updates leave together in few produce requests.
    Flux<MetaParams> outputs =
        bus.consumeBatches(topics.hyperGradients(), ConsumerOptions.earliest(groupId))
            .concatMapIterable(this::decideAll);
    subscriptions.add(
        bus.publish(topics.metaParams(), outputs)
            .subscribe(
                delivery -> settleDelivered(),
                error -> {
                  failed("meta-optimizer stopped: " + error);
                  LOG.error("meta-optimizer stopped: {}", error.toString());
                }));
    running.set(true);
    LOG.info("meta-optimizer started: group {}, {} runs known", groupId, runs.size());
  }

  /** The counters now. */
  public MetaOptimizerStats stats() {
    return new MetaOptimizerStats(
        updates.get(), skippedNonFinite.get(), duplicates.get(), processedRuns.get());
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
      Channel<E> channel, ConsumerOptions options, Consumer<E> observer) {
    return bus.consume(channel, options)
        .subscribe(
            received -> {
              observer.accept(received.event());
              received.acknowledge();
            },
            error -> {
              failed("state feed " + channel.topic() + " stopped: " + error);
              LOG.error("state feed {} stopped: {}", channel.topic(), error.toString());
            });
  }

  private RunState state(String runId) {
    // get first: computeIfAbsent locks the bin even when the run is known, and the state feed
    // and the hypergradient consumer look up the same runs from two threads all the time.
    RunState state = runs.get(runId);
    return state != null ? state : runs.computeIfAbsent(runId, id -> new RunState());
  }

  private boolean usesAdam(RunState state) {
    synchronized (state) {
      return state.usesAdam(defaults);
    }
  }

  private void observeMetaParams(MetaParams params) {
    RunState state = state(params.runId());
    synchronized (state) {
      // Only the optimizer's own versions count for dedupe; the trainer writes the others.
      if (params.source() == MetaParamSource.OPTIMIZER && params.version() > state.lastVersion) {
        state.lastVersion = params.version();
      }
      if (params.version() >= state.lastBVersion && params.b() != null) {
        state.lastBVersion = params.version();
        state.lastB = params.b();
      }
    }
  }

  private void observeRunEvent(RunEvent event) {
    RunState state = state(event.runId());
    synchronized (state) {
      if (event instanceof RunStarted started) {
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
  }

  private void replayHyperGradient(HyperGradient gradient) {
    RunState state = state(gradient.runId());
    long version = gradient.step() + 1;
    synchronized (state) {
      // Same recursion as decide(): only versions that were published, each once, in order.
      if (version <= state.lastVersion && version > state.replayedVersion) {
        if (finite(gradient.at()) && finite(gradient.gradient()) && state.usesAdam(defaults)) {
          state.rule(defaults).step(gradient.at(), gradient.gradient());
        }
        state.replayedVersion = version;
      }
    }
  }

  private Decision decide(Received<HyperGradient> received) {
    HyperGradient gradient = received.event();
    long version = gradient.step() + 1;
    RunState state = state(gradient.runId());
    Unconstrained next;
    synchronized (state) {
      if (!state.processed) {
        state.processed = true;
        processedRuns.incrementAndGet();
      }
      if (version <= state.lastVersion) {
        duplicates.incrementAndGet();
        return new Decision(received, null);
      }
      if (finite(gradient.at()) && finite(gradient.gradient())
          && state.rule(defaults).accepts(gradient.validationGradientNormSquared())) {
        next = state.rule(defaults).step(gradient.at(), gradient.gradient(),
            gradient.validationGradientNormSquared());
        updates.incrementAndGet();
      } else {
        Unconstrained kept = finite(gradient.at()) ? gradient.at() : state.fallbackPoint();
        next = kept != null ? kept : gradient.at();
        skippedNonFinite.incrementAndGet();
        LOG.warn(
            "run {} step {}: non-finite hypergradient (gradient={}, at={}, ‖v‖²={}), b kept at {}",
            gradient.runId(), gradient.step(), gradient.gradient(), gradient.at(),
            gradient.validationGradientNormSquared(), next);
      }
      // Reserve the version before publishing so a concurrent duplicate is already skipped.
      state.lastVersion = version;
      state.lastBVersion = version;
      state.lastB = next;
    }
    MetaParams params =
        new MetaParams(
            Event.CURRENT_SCHEMA_VERSION,
            gradient.runId(),
            version,
            next == null ? null : next.toValues(),
            next,
            MetaParamSource.OPTIMIZER);
    return new Decision(received, params);
  }

  /** The updates of a batch of hypergradients, each decided and queued in order. */
  private List<MetaParams> decideAll(List<Received<HyperGradient>> batch) {
    List<MetaParams> outputs = new ArrayList<>(batch.size());
    for (Received<HyperGradient> received : batch) {
      // unacknowledged, so uncommitted: the instance that takes the partition decides it
      if (!closing) {
        Decision decision = decide(received);
        if (holdUntilDelivered(decision)) {
          outputs.add(decision.output());
        }
      }
    }
    return outputs;
  }

  /**
   * Queues a decision behind the publishes in flight; one without output and nothing in flight
   * before it is acknowledged at once. Returns whether it has a MetaParams to publish.
   */
  private boolean holdUntilDelivered(Decision decision) {
    synchronized (awaitingDelivery) {
      if (decision.output() == null && awaitingDelivery.isEmpty()) {
        decision.received().acknowledge();
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
        head.received().acknowledge();
      } while (head.output() == null);
      while (!awaitingDelivery.isEmpty() && awaitingDelivery.peekFirst().output() == null) {
        awaitingDelivery.pollFirst().received().acknowledge();
      }
    }
  }

  private static boolean finite(Unconstrained b) {
    return b != null && b.isFinite();
  }

  /** A consumed hypergradient and the MetaParams it produced, if any. */
  private record Decision(Received<HyperGradient> received, MetaParams output) {}
}
