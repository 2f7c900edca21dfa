package io.distilflux.trainer.record;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.RunHistory;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.record.RecordedRun;
import io.distilflux.pipeline.record.RunArchive;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Captures every event of a known set of runs from the bus they publish on — the trainer's
 * steps, evaluations and life-cycle events, the meta-optimizer's updates and the monitor's
 * forecasts — and writes each run as {@code <directory>/<runId>.jsonl} with {@link RunArchive}.
 *
 * <p>A run's events come from several topics, so they do not end together: the meta-optimizer's
 * answer to the last hypergradient may arrive after {@code RunFinished}. A run is written once
 * its {@code RunFinished} has been seen and no event of it has arrived for a quiet period; its
 * events are then dropped from memory, so only the runs in flight are held. Events of other
 * runs on the same topics are acknowledged and ignored.
 */
public final class RunRecorder implements AutoCloseable {

  private final EventBus bus;
  private final Topics topics;
  private final Path directory;
  private final Duration quiet;
  private final Instant since;
  private final Map<String, RunBuffer> runs = new LinkedHashMap<>();
  private final AtomicLong lateEvents = new AtomicLong();
  private final Scheduler writer = Schedulers.newSingle("run-recorder");
  private RuntimeException failure;
  private Disposable consuming;
  private Disposable ticking;

  /**
   * A recorder for the runs {@code runIds}; nothing is consumed before {@link #start()}.
   *
   * @param directory where the archives go (created)
   * @param quiet how long after {@code RunFinished} a run must stay silent before it is written
   */
  public RunRecorder(EventBus bus, Topics topics, Set<String> runIds, Path directory,
      Duration quiet) {
    this(bus, topics, runIds, directory, quiet, Instant.EPOCH);
  }

  /**
   * As the other constructor, for runs whose events are all written at or after {@code since}
   * (runs started by this process: its start, less {@link RunHistory#CLOCK_ALLOWANCE}): the
   * topics are read from there, not from their start.
   */
  public RunRecorder(EventBus bus, Topics topics, Set<String> runIds, Path directory,
      Duration quiet, Instant since) {
    this.since = since;
    this.bus = bus;
    this.topics = topics;
    this.directory = directory;
    this.quiet = quiet;
    for (String id : runIds) {
      runs.put(id, new RunBuffer());
    }
  }

  /**
   * Creates the folder and subscribes to every event channel from the earliest offset, in a
   * consumer group of its own, so events published before the subscription is assigned are
   * not missed.
   *
   * @throws UncheckedIOException when the folder cannot be created
   */
  public RunRecorder start() {
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + directory + ": " + e.getMessage(), e);
    }
    // Files are written once a run is quiet: no reader waits on a single event here.
    ConsumerOptions options = ConsumerOptions.wholeHistory("distilflux-recorder")
        .batchedUpTo(ConsumerOptions.BACKGROUND_BATCH_WAIT)
        .since(since);
    List<Flux<? extends Received<? extends Event>>> channels = new ArrayList<>();
    for (Channel<? extends Event> channel : topics.all()) {
      channels.add(bus.consume(channel, options));
    }
    consuming = Flux.merge(channels).subscribe(this::accept, this::stopped);
    // Writing is file work: a single thread of its own, off the consumers' threads.
    long tick = Math.max(20, quiet.toMillis() / 4);
    ticking = Flux.interval(Duration.ofMillis(tick), writer).subscribe(t -> writeQuietRuns(false));
    return this;
  }

  private synchronized void stopped(Throwable error) {
    if (failure == null) {
      failure = new IllegalStateException("recording stopped: " + (error.getMessage() == null
          ? error.toString() : error.getMessage()), error);
    }
  }

  private void accept(Received<? extends Event> received) {
    Event event = received.event();
    RunBuffer buffer = runs.get(event.runId());
    if (buffer != null) {
      buffer.add(event, lateEvents);
    }
    received.acknowledge();
  }

  // Synchronized: the last tick may still be writing when finish() writes the rest.
  private synchronized void writeQuietRuns(boolean all) {
    long now = System.nanoTime();
    for (Map.Entry<String, RunBuffer> entry : runs.entrySet()) {
      RunBuffer buffer = entry.getValue();
      List<Event> events = buffer.takeIfQuiet(now, quiet.toNanos(), all);
      if (events != null) {
        try {
          RunArchive.write(file(entry.getKey()), new RecordedRun(entry.getKey(), events));
        } catch (UncheckedIOException e) {
          if (failure == null) {
            failure = e;
          }
        }
      }
    }
  }

  /** The archive of a run. */
  public Path file(String runId) {
    return directory.resolve(runId + ".jsonl");
  }

  /**
   * Waits until every run has been written (its {@code RunFinished} seen and the quiet period
   * over), at most {@code timeout}; then writes whatever the remaining runs have, stops
   * consuming and returns the archives written.
   *
   * @throws UncheckedIOException when an archive cannot be written
   * @throws IllegalStateException when consuming failed (what was captured is written first)
   */
  public List<Path> finish(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && !failed()
        && runs.values().stream().anyMatch(b -> !b.written())) {
      try {
        Thread.sleep(Math.max(10, quiet.toMillis() / 4));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    close();
    // Runs that never finished (or never started) keep what was captured.
    writer.dispose();
    writeQuietRuns(true);
    synchronized (this) {
      if (failure != null) {
        throw failure;
      }
    }
    List<Path> written = new ArrayList<>();
    runs.forEach((id, buffer) -> {
      if (buffer.written() && Files.isRegularFile(file(id))) {
        written.add(file(id));
      }
    });
    return written;
  }

  private synchronized boolean failed() {
    return failure != null;
  }

  /** Events of a run that arrived after its archive was written (not in the archive). */
  public long lateEvents() {
    return lateEvents.get();
  }

  /** Stops consuming; nothing more is written except by {@link #finish}. */
  @Override
  public void close() {
    if (ticking != null) {
      ticking.dispose();
    }
    if (consuming != null) {
      consuming.dispose();
    }
  }

  /** A run's events until they are written. */
  private static final class RunBuffer {
    private List<Event> events = new ArrayList<>();
    private boolean finished;
    private boolean written;
    private long lastEventNanos = System.nanoTime();

    synchronized void add(Event event, AtomicLong late) {
      if (written) {
        late.incrementAndGet();
        return;
      }
      // RunStarted first, as RecordedRun documents; the rest in arrival order.
      if (event instanceof RunStarted) {
        events.add(0, event);
      } else {
        events.add(event);
      }
      finished |= event instanceof RunFinished;
      lastEventNanos = System.nanoTime();
    }

    /** The events to write now, or null; marks the run written. */
    synchronized List<Event> takeIfQuiet(long now, long quietNanos, boolean force) {
      if (written || (!force && !(finished && now - lastEventNanos >= quietNanos))
          || (force && events.isEmpty())) {
        return null;
      }
      written = true;
      List<Event> out = events;
      events = null;
      return out;
    }

    synchronized boolean written() {
      return written;
    }
  }
}
