package io.distilflux.monitor.forecast;

import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrajectoryForecast;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Collects the hypergradient mini-epoch of every period of every {@code FORECAST} run and says
 * when a period's forecast is ready to publish. Points are deduplicated by step and may arrive
 * in any order; a period is ready once all its E steps have been seen. A period whose forecast
 * has been published or seen on the forecasts topic is never offered again.
 *
 * <p>The acknowledgement of a hypergradient record is held until its period is settled, so a
 * restarted monitor is redelivered the points of unfinished periods. Hypergradients that
 * arrive before their run's {@code RunStarted} wait for it, at most {@link #START_GRACE}
 * ({@link #expireWaiting}); then they are acknowledged and forgotten, and no state is kept for
 * their run. A forecast read from the topic settles its period only in the run's own sequence
 * (the run's next unsettled period); one of a run that never started, of a run that does not
 * forecast, of a step that starts no period or of a period ahead of the sequence is rejected.
 * Thread-safe; every call is short and never blocks.
 */
public final class ForecastTracker {

  /**
   * A forecast to publish and the records to acknowledge once it has been delivered.
   *
   * @param forecast the fitted forecast
   * @param acknowledgements acknowledgements of the hypergradients it was fitted to
   */
  public record Ready(TrajectoryForecast forecast, List<Runnable> acknowledgements) {}

  /**
   * What to do after an event.
   *
   * @param ready forecasts to publish, each followed by its acknowledgements
   * @param acknowledgeNow acknowledgements that need wait for nothing
   */
  public record Outcome(List<Ready> ready, List<Runnable> acknowledgeNow, String rejection) {
    static final Outcome NONE = new Outcome(List.of(), List.of());

    /** An outcome that rejects nothing. */
    public Outcome(List<Ready> ready, List<Runnable> acknowledgeNow) {
      this(ready, acknowledgeNow, null);
    }

    /** The outcomes of several events in their order (none of which rejects anything). */
    public static Outcome merged(List<Outcome> outcomes) {
      List<Ready> ready = new ArrayList<>();
      List<Runnable> now = new ArrayList<>();
      for (Outcome outcome : outcomes) {
        if (outcome.rejection() != null) {
          throw new IllegalArgumentException("cannot merge a rejection: " + outcome.rejection());
        }
        ready.addAll(outcome.ready());
        now.addAll(outcome.acknowledgeNow());
      }
      return new Outcome(ready, now);
    }

    static Outcome rejected(String reason) {
      return new Outcome(List.of(), List.of(), reason);
    }
  }

  /** How long hypergradients wait for their run's RunStarted. */
  public static final Duration START_GRACE = Duration.ofSeconds(30);

  private record Held(HyperGradient event, Runnable acknowledgement, long sinceMillis) {}

  private static final class Window {
    final TreeMap<Long, HyperGradient> byStep = new TreeMap<>();
    final List<Runnable> acknowledgements = new ArrayList<>();
  }

  private static final class RunState {
    RunConfig config;
    boolean finished;
    final List<Held> waitingForStart = new ArrayList<>();
    final Map<Long, Window> windows = new HashMap<>();
    /**
     * Settled periods from {@link #nextPeriod} on; every period before it is settled, so those
     * are dropped and a run of any length keeps a bounded set.
     */
    final Set<Long> settled = new HashSet<>();
    /** Start of the first period not settled yet: the only one a forecast read may settle. */
    long nextPeriod;

    void settle(long periodStart) {
      settled.add(periodStart);
      long period = (long) config.miniEpoch() * config.forecastEvery();
      while (settled.remove(nextPeriod)) {
        nextPeriod += period;
      }
    }

    boolean isSettled(long periodStart) {
      long period = (long) config.miniEpoch() * config.forecastEvery();
      return periodStart >= 0 && periodStart < nextPeriod && periodStart % period == 0
          || settled.contains(periodStart);
    }
  }

  private final Map<String, RunState> runs = new HashMap<>();

  /**
   * Records a run's configuration; hypergradients that waited for it are processed now. A
   * second RunStarted of a finished run (a resumed run) opens it again.
   */
  public synchronized Outcome runStarted(RunStarted started) {
    RunState run = runs.computeIfAbsent(started.runId(), id -> new RunState());
    if (run.config != null) {
      // A RunStarted after the RunFinished: the run was resumed from a checkpoint.
      run.finished = false;
      return Outcome.NONE;
    }
    run.config = started.config();
    List<Ready> ready = new ArrayList<>();
    List<Runnable> now = new ArrayList<>();
    for (Held held : run.waitingForStart) {
      accept(run, held, ready, now);
    }
    run.waitingForStart.clear();
    return new Outcome(ready, now);
  }

  /** Forgets a finished run's open windows; later hypergradients of it are acknowledged. */
  public synchronized Outcome runFinished(String runId) {
    RunState run = runs.get(runId);
    if (run == null) {
      return Outcome.NONE;
    }
    run.finished = true;
    List<Runnable> now = new ArrayList<>();
    run.windows.values().forEach(w -> now.addAll(w.acknowledgements));
    run.windows.clear();
    run.waitingForStart.forEach(h -> now.add(h.acknowledgement()));
    run.waitingForStart.clear();
    return new Outcome(List.of(), now);
  }

  /** Records a hypergradient point; its acknowledgement comes back in an outcome. */
  public synchronized Outcome hyperGradient(HyperGradient event, Runnable acknowledgement) {
    return hyperGradient(event, acknowledgement, System.currentTimeMillis());
  }

  /** As {@link #hyperGradient(HyperGradient, Runnable)}, arriving at {@code nowMillis}. */
  public synchronized Outcome hyperGradient(
      HyperGradient event, Runnable acknowledgement, long nowMillis) {
    RunState run = runs.computeIfAbsent(event.runId(), id -> new RunState());
    Held held = new Held(event, acknowledgement, nowMillis);
    if (run.finished) {
      return new Outcome(List.of(), List.of(acknowledgement));
    }
    if (run.config == null) {
      run.waitingForStart.add(held);
      return Outcome.NONE;
    }
    List<Ready> ready = new ArrayList<>();
    List<Runnable> now = new ArrayList<>();
    accept(run, held, ready, now);
    return new Outcome(ready, now);
  }

  /**
   * Marks a forecast's period settled (read back from the forecasts topic, or published by
   * this monitor); points of it still held are released for acknowledgement.
   */
  public synchronized Outcome forecastSeen(TrajectoryForecast forecast) {
    RunState run = runs.get(forecast.runId());
    long start = forecast.periodStart();
    String where = "forecast of run " + forecast.runId() + " period " + start;
    if (run == null || run.config == null) {
      return Outcome.rejected(where + ": the run has no RunStarted");
    }
    if (run.config.mode() != RunConfig.Mode.FORECAST) {
      return Outcome.rejected(where + ": the run does not forecast");
    }
    long period = (long) run.config.miniEpoch() * run.config.forecastEvery();
    if (run.isSettled(start)) {
      return Outcome.NONE; // this monitor's own forecast read back, or a copy: nothing changes
    }
    if (start != run.nextPeriod) {
      return Outcome.rejected(where + " is out of sequence: the run's next period starts at "
          + run.nextPeriod + " (periods of " + period + " steps)");
    }
    run.settle(start);
    Window window = run.windows.remove(start);
    return window == null
        ? Outcome.NONE
        : new Outcome(List.of(), List.copyOf(window.acknowledgements));
  }

  /**
   * Lets go of hypergradients that waited for their run's RunStarted since before
   * {@code nowMillis − START_GRACE}: their acknowledgements come back, their run is forgotten.
   */
  public synchronized Outcome expireWaiting(long nowMillis) {
    List<Runnable> now = new ArrayList<>();
    Iterator<Map.Entry<String, RunState>> all = runs.entrySet().iterator();
    while (all.hasNext()) {
      RunState run = all.next().getValue();
      if (run.config != null) {
        continue;
      }
      run.waitingForStart.removeIf(held -> {
        boolean old = nowMillis - held.sinceMillis() >= START_GRACE.toMillis();
        if (old) {
          now.add(held.acknowledgement());
        }
        return old;
      });
      if (run.waitingForStart.isEmpty()) {
        all.remove();
      }
    }
    return now.isEmpty() ? Outcome.NONE : new Outcome(List.of(), now);
  }

  /** Runs the tracker keeps state for (started ones, and ones whose points wait). */
  public synchronized int runs() {
    return runs.size();
  }

  /** Settled periods kept ahead of the run's next unsettled one (bounded whatever the run's length). */
  synchronized int settledPeriodsKept(String runId) {
    RunState run = runs.get(runId);
    return run == null ? 0 : run.settled.size();
  }

  /** Whether the period starting at {@code periodStart} of the run has been settled. */
  public synchronized boolean isSettled(String runId, long periodStart) {
    RunState run = runs.get(runId);
    return run != null && run.config != null && run.isSettled(periodStart);
  }

  private static void accept(RunState run, Held held, List<Ready> ready, List<Runnable> now) {
    RunConfig config = run.config;
    HyperGradient event = held.event();
    if (config.mode() != RunConfig.Mode.FORECAST || event.step() < 0) {
      now.add(held.acknowledgement());
      return;
    }
    long miniEpoch = config.miniEpoch();
    long periodLength = miniEpoch * config.forecastEvery();
    long periodStart = event.step() / periodLength * periodLength;
    if (event.step() - periodStart >= miniEpoch || run.isSettled(periodStart)) {
      now.add(held.acknowledgement());
      return;
    }
    Window window = run.windows.computeIfAbsent(periodStart, p -> new Window());
    window.byStep.putIfAbsent(event.step(), event);
    window.acknowledgements.add(held.acknowledgement());
    if (window.byStep.size() < miniEpoch) {
      return;
    }
    run.windows.remove(periodStart);
    run.settle(periodStart);
    TrajectoryForecast forecast = TrajectoryPredictor.predict(
        event.runId(), config, periodStart, window.byStep.values());
    if (forecast == null) {
      now.addAll(window.acknowledgements);
      return;
    }
    ready.add(new Ready(forecast, List.copyOf(window.acknowledgements)));
  }
}
