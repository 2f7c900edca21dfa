package io.distilflux.trainer.run;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.RunHistory;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;

/**
 * One reader of the meta-parameter updates and the trajectory forecasts of many runs (the runs
 * of one experiment), handing each record to its run's {@link StreamedMetaSource}. One consumer
 * per topic for the whole process instead of one per run and topic: the broker answers one
 * fetch for the updates of every run waiting at that moment, instead of a fetch per run (and per
 * run sharing the partition), and each record is read and decoded once.
 *
 * <p>Like a run's own readers it reads the runs' whole history from the earliest offset (only
 * their partitions, other runs' records skipped by key), so nothing published before a run
 * attaches is lost: such records are kept until the run attaches.
 */
public final class MetaFeed implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MetaFeed.class);

  private final Set<String> runIds;
  private final Map<String, StreamedMetaSource> attached = new ConcurrentHashMap<>();
  /** Records of runs not attached yet; guarded by {@code this}. */
  private final Map<String, List<Event>> early = new HashMap<>();
  private final Set<String> detached = ConcurrentHashMap.newKeySet();
  private final Disposable.Composite subscriptions = Disposables.composite();
  private final SendRounds rounds;

  /**
   * Starts reading the updates and forecasts of {@code runIds}.
   *
   * @param name the readers' name (they join no group and commit nothing)
   * @throws IllegalArgumentException when {@code runIds} is empty
   */
  public MetaFeed(EventBus bus, Topics topics, String name, Collection<String> runIds) {
    this(bus, topics, name, runIds, Duration.ZERO);
  }

  /**
   * As the other constructor, records held back up to {@code batchWait} to come in fewer, larger
   * batches: for runs that train ahead of the services, which wait on no single record (see
   * {@link StreamedMetaSource}); zero hands each over at once, for runs that wait on every one.
   */
  public MetaFeed(EventBus bus, Topics topics, String name, Collection<String> runIds,
      Duration batchWait) {
    this(bus, topics, name, runIds, batchWait, Instant.EPOCH);
  }

  /**
   * As the other constructors, for runs whose records are all written at or after {@code
   * since} (runs started by this process: its start, less {@link RunHistory#CLOCK_ALLOWANCE}):
   * the topics are read from there, not from their start, which on a cluster or a kept broker
   * log holds every earlier run's records.
   */
  public MetaFeed(EventBus bus, Topics topics, String name, Collection<String> runIds,
      Duration batchWait, Instant since) {
    this.runIds = Set.copyOf(runIds);
    this.rounds = new SendRounds(() -> bus.endRound(topics.hyperGradients()));
    ConsumerOptions options = ConsumerOptions.wholeHistory(name).forRuns(this.runIds)
        .batchedUpTo(batchWait).since(since);
    subscriptions.add(follow(bus, topics.metaParams(), options));
    subscriptions.add(follow(bus, topics.forecasts(), options));
  }

  private <E extends Event> Disposable follow(EventBus bus, Channel<E> channel,
      ConsumerOptions options) {
    return bus.consume(channel, options).subscribe(this::deliver,
        error -> LOG.error("meta feed of {} stopped: {}", channel.topic(), error.toString()));
  }

  private void deliver(Received<? extends Event> received) {
    Event event = received.event();
    received.acknowledge();
    StreamedMetaSource source = attached.get(event.runId());
    if (source == null) {
      synchronized (this) {
        source = attached.get(event.runId());
        if (source == null) {
          if (!detached.contains(event.runId())) {
            early.computeIfAbsent(event.runId(), id -> new ArrayList<>()).add(event);
          }
          return;
        }
      }
    }
    source.accept(event);
  }

  /** Hands the run's records to {@code source}, those read so far first. */
  void attach(String runId, StreamedMetaSource source) {
    if (!runIds.contains(runId)) {
      throw new IllegalArgumentException("run " + runId + " is not one of this feed's runs");
    }
    synchronized (this) {
      List<Event> before = early.remove(runId);
      if (before != null) {
        before.forEach(source::accept);
      }
      if (attached.putIfAbsent(runId, source) != null) {
        throw new IllegalStateException("run " + runId + " is already attached to the feed");
      }
    }
  }

  /** Stops handing the run's records on; later ones are dropped. */
  void detach(String runId) {
    synchronized (this) {
      detached.add(runId);
      attached.remove(runId);
      early.remove(runId);
    }
  }

  /** The rounds in which this feed's runs send their hypergradients. */
  SendRounds rounds() {
    return rounds;
  }

  /** Stops reading. */
  @Override
  public void close() {
    subscriptions.dispose();
  }
}
