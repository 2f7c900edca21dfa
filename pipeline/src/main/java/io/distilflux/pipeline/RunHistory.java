package io.distilflux.pipeline;

import io.distilflux.pipeline.event.RunEvent;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the runs topic says of every run: whether it still runs, when it first started and when
 * it last ended. A service rebuilding its state on start reads the runs topic whole (a few
 * records a run) and the busy topics (steps, hypergradients, meta-parameters, forecasts) only
 * from its {@link #horizon}: on a cluster or a kept broker log that has seen many runs, a
 * restart then reads what is left of the runs it still serves instead of every record ever
 * written.
 *
 * <p>Times are the trainer's ({@link RunStarted#startedAtMillis()}, {@link
 * RunFinished#finishedAtMillis()}); records of the other topics carry the clock of whichever
 * host wrote them, hence the {@link #CLOCK_ALLOWANCE}. Not thread-safe: fill it, then read it.
 */
public final class RunHistory {

  /**
   * How far the clocks of the hosts that write the topics may be apart: a horizon starts this
   * much before the earliest start it has to cover.
   */
  public static final Duration CLOCK_ALLOWANCE = Duration.ofSeconds(10);

  /** One run as the runs topic tells it. */
  private static final class Run {
    long firstStartMillis = Long.MAX_VALUE;
    long lastEndMillis = Long.MIN_VALUE;
    boolean running;
  }

  private final Map<String, Run> runs = new HashMap<>();

  /** Takes in one event of the runs topic; a run's events must come in their topic order. */
  public void observe(RunEvent event) {
    Objects.requireNonNull(event, "event");
    Run run = runs.computeIfAbsent(event.runId(), id -> new Run());
    long at = timeOf(event).toEpochMilli();
    run.running = event instanceof RunStarted; // a run resumed after it ended runs again
    if (run.running) {
      run.firstStartMillis = Math.min(run.firstStartMillis, at);
    } else {
      run.lastEndMillis = Math.max(run.lastEndMillis, at);
    }
  }

  /** When a run event happened, by the trainer's clock: a run's start or its end. */
  public static Instant timeOf(RunEvent event) {
    return Instant.ofEpochMilli(event instanceof RunFinished finished
        ? finished.finishedAtMillis()
        : ((RunStarted) event).startedAtMillis());
  }

  /** Number of runs seen. */
  public int size() {
    return runs.size();
  }

  /** Runs whose last event is an end that came before {@code time}, sorted. */
  public Set<String> endedBefore(Instant time) {
    Set<String> ended = new TreeSet<>();
    runs.forEach((id, run) -> {
      if (!run.running && run.lastEndMillis != Long.MIN_VALUE
          && run.lastEndMillis < time.toEpochMilli()) {
        ended.add(id);
      }
    });
    return ended;
  }

  /**
   * Where to start reading the busy topics to see every event of the runs that still run or
   * ended at or after {@code endedSince}: their earliest start, less the allowance. With no such
   * run, {@code now} less the allowance, so that runs starting while the service starts are
   * read whole. A run started but never ended (its trainer killed outright) holds the horizon
   * back until the topics' retention drops its records.
   *
   * @param now the service's start
   * @param endedSince runs that ended before this need not be read (a meta-optimizer: {@code
   *     now}; a monitor: {@code now} less the time it keeps a finished run's meters)
   * @param allowance how far the writers' clocks may be apart
   */
  public Instant horizon(Instant now, Instant endedSince, Duration allowance) {
    long since = now.toEpochMilli();
    for (Run run : runs.values()) {
      boolean covered = run.running || run.lastEndMillis >= endedSince.toEpochMilli();
      if (covered && run.firstStartMillis != Long.MAX_VALUE) {
        since = Math.min(since, run.firstStartMillis);
      }
    }
    long from = since - allowance.toMillis();
    return from <= 0 ? Instant.EPOCH : Instant.ofEpochMilli(from);
  }
}
