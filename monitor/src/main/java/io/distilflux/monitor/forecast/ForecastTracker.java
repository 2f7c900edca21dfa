package io.distilflux.monitor.forecast;

import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrajectoryForecast;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
 * arrive before their run's {@code RunStarted} wait for it. Thread-safe; every call is short
 * and never blocks.
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
  public record Outcome(List<Ready> ready, List<Runnable> acknowledgeNow) {
    static final Outcome NONE = new Outcome(List.of(), List.of());
  }

  private record Held(HyperGradient event, Runnable acknowledgement) {}

  private static final class Window {
    final TreeMap<Long, HyperGradient> byStep = new TreeMap<>();
    final List<Runnable> acknowledgements = new ArrayList<>();
  }

  private static final class RunState {
    RunConfig config;
    boolean finished;
    final List<Held> waitingForStart = new ArrayList<>();
    final Map<Long, Window> windows = new HashMap<>();
    final Set<Long> settled = new HashSet<>();
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
    RunState run = runs.computeIfAbsent(runId, id -> new RunState());
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
    RunState run = runs.computeIfAbsent(event.runId(), id -> new RunState());
    Held held = new Held(event, acknowledgement);
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
    RunState run = runs.computeIfAbsent(forecast.runId(), id -> new RunState());
    run.settled.add(forecast.periodStart());
    Window window = run.windows.remove(forecast.periodStart());
    return window == null
        ? Outcome.NONE
        : new Outcome(List.of(), List.copyOf(window.acknowledgements));
  }

  /** Whether the period starting at {@code periodStart} of the run has been settled. */
  public synchronized boolean isSettled(String runId, long periodStart) {
    RunState run = runs.get(runId);
    return run != null && run.settled.contains(periodStart);
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
    if (event.step() - periodStart >= miniEpoch || run.settled.contains(periodStart)) {
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
    run.settled.add(periodStart);
    List<TrajectoryPredictor.Point> points = new ArrayList<>();
    for (HyperGradient point : window.byStep.values()) {
      // A step whose b is not finite carries no information about the trajectory.
      if (point.at().isFinite()) {
        points.add(new TrajectoryPredictor.Point(point.step(), point.at()));
      }
    }
    if (points.isEmpty()) {
      now.addAll(window.acknowledgements);
      return;
    }
    TrajectoryForecast forecast =
        TrajectoryPredictor.predict(
            event.runId(), periodStart, config.miniEpoch(), config.forecastEvery(), points);
    ready.add(new Ready(forecast, List.copyOf(window.acknowledgements)));
  }
}
