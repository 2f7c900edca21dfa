package io.distilflux.monitor.metrics;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.ExtraLine;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * Turns events into Micrometer meters, every one tagged with its {@code run}. Gauges read
 * per-run holders kept in a map here, so the registry's weak references stay reachable.
 * Thread-safe; each call does a map look-up and a few atomic writes.
 *
 * <p>Only runs that started have meters: a run's meters are registered on its
 * {@link RunStarted}. Events of a run whose start has not been seen wait for it (at most
 * {@link #MAX_WAITING} events in all, each at most {@link #START_GRACE}); then they are dropped
 * and counted in {@code distilflux.events.unstarted}, without a meter of their own. A finished
 * run's meters are removed from the registry once the retention has passed since its end
 * ({@link #expireFinished()}, which the service calls periodically; the clock is injected), and
 * its later events are dropped.
 */
public final class MonitorMetrics {

  /** Tag carrying the run id. */
  public static final String RUN_TAG = "run";
  /** Run tag value of dead letters whose run could not be read or never started. */
  public static final String UNKNOWN_RUN = "unknown";
  /** How long a finished run's meters stay by default: more than a few scrape intervals. */
  public static final Duration DEFAULT_RETENTION = Duration.ofMinutes(10);
  /** How long events wait for their run's start before they are dropped. */
  public static final Duration START_GRACE = Duration.ofSeconds(30);
  /** Events waiting for their run's start, all runs together. */
  static final int MAX_WAITING = 100_000;
  /** Ended runs remembered after their meters expired, so their late events are dropped. */
  private static final int MAX_EXPIRED = 100_000;

  private final MeterRegistry registry;
  private final Clock clock;
  private final Duration retention;
  private final Map<String, RunMeters> runs = new ConcurrentHashMap<>();
  // Guarded by this: runs not started yet, oldest first, and runs whose meters expired.
  private final LinkedHashMap<String, Waiting> waiting = new LinkedHashMap<>();
  private int waitingEvents;
  private final Set<String> expired = Collections.newSetFromMap(new LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > MAX_EXPIRED;
    }
  });
  private final Counter unstarted;
  private final Counter unknownDeadLettered;

  /** Metrics registered in the given registry, with the default retention. */
  public MonitorMetrics(MeterRegistry registry) {
    this(registry, Clock.systemUTC(), DEFAULT_RETENTION);
  }

  /**
   * Metrics registered in the given registry.
   *
   * @param clock the time of run ends and of waiting events
   * @param retention how long a finished run's meters stay after its end
   */
  public MonitorMetrics(MeterRegistry registry, Clock clock, Duration retention) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.retention = Objects.requireNonNull(retention, "retention");
    if (retention.isNegative()) {
      throw new IllegalArgumentException("retention must not be negative, got " + retention);
    }
    this.unstarted = Counter.builder("distilflux.events.unstarted")
        .description("events of runs with no RunStarted (or whose meters expired), dropped")
        .register(registry);
    this.unknownDeadLettered = Counter.builder("distilflux.events.deadlettered")
        .tag(RUN_TAG, UNKNOWN_RUN).description("records sent to the dead-letter topic")
        .register(registry);
  }

  /**
   * Registers a run's meters (again, for a run resumed after they expired) and records the
   * events that waited for it.
   */
  public void runStarted(RunStarted started) {
    String runId = started.runId();
    RunMeters meters;
    Waiting held;
    synchronized (this) {
      expired.remove(runId);
      meters = runs.computeIfAbsent(runId, id -> register(id, started.config()));
      meters.finishedAtMillis = Long.MAX_VALUE;
      held = waiting.remove(runId);
      if (held != null) {
        waitingEvents -= held.actions.size();
      }
    }
    if (held != null) {
      held.actions.forEach(action -> action.accept(meters));
    }
  }

  /**
   * Records a training step: λ, losses, duration, phase count and step rate. A step of the run
   * already recorded (a replayed or resumed stream) is ignored: meters count each step once.
   */
  public void step(TrainingStep step) {
    record(step.runId(), run -> {
      if (!run.stepsSeen.add(step.step())) {
        return;
      }
      MetaValues meta = step.meta();
      run.lambda1.set(meta.lambda1());
      run.lambda2.set(meta.lambda2());
      run.temperature.set(meta.temperature());
      run.extraValue.forEach((name, value) ->
          value.set(step.extra().getOrDefault(name, Double.NaN)));
      // a variational student's diagnostics: set when a step carries them, kept otherwise
      Double kl = step.extra().get(TrainingStep.KL);
      if (kl != null) {
        run.kl.set(kl);
      }
      Double stability = step.extra().get(TrainingStep.STABILITY);
      if (stability != null) {
        run.stability.set(stability);
      }
      run.trainLoss.set(step.trainLoss());
      run.ceLoss.set(step.ceLoss());
      run.kdLoss.set(step.kdLoss());
      if (Double.isFinite(step.durationSeconds()) && step.durationSeconds() >= 0) {
        run.stepDuration.record((long) (step.durationSeconds() * 1e9), TimeUnit.NANOSECONDS);
        run.addDuration(step.phase(), step.durationSeconds());
      }
      run.phaseSteps.get(step.phase()).increment();
      run.observeTimestamp(step.step(), step.timestampMillis());
      run.latest(step.step(), step.phase());
    });
  }

  /**
   * Records a hypergradient: validation loss and norm (over b and the run's declared extra
   * coordinates), or a skip when one of them is not finite or a declared extra is missing, as
   * the meta-optimizer counts it.
   */
  public void hyperGradient(HyperGradient hyperGradient) {
    record(hyperGradient.runId(), run -> {
      run.validationLoss.set(hyperGradient.validationLoss());
      double[] g = hyperGradient.gradient().toArray();
      double squares = g[0] * g[0] + g[1] * g[1] + g[2] * g[2];
      for (String name : run.extraValue.keySet()) {
        var extra = hyperGradient.extra().get(name);
        double component = extra == null ? Double.NaN : extra.gradient();
        squares += component * component;
      }
      if (!Double.isFinite(squares)) {
        run.skipped.increment();
        return;
      }
      run.hyperGradientNorm.set(Math.sqrt(squares));
      run.received.increment();
    });
  }

  /** Records an evaluation: validation and test accuracy and loss. */
  public void evaluation(Evaluation evaluation) {
    record(evaluation.runId(), run -> {
      run.validationAccuracy.set(evaluation.validationAccuracy());
      run.evalValidationLoss.set(evaluation.validationLoss());
      run.testAccuracy.set(evaluation.testAccuracy());
      run.testLoss.set(evaluation.testLoss());
    });
  }

  /** Records a forecast: slope and residual per coordinate, and a count. */
  public void forecast(TrajectoryForecast forecast) {
    record(forecast.runId(), run -> {
      if (!run.forecastsSeen.add(forecast.periodStart())) {
        return;
      }
      for (int i = 0; i < 3; i++) {
        run.slope[i].set(forecast.slope().get(i));
        run.residual[i].set(forecast.residual().get(i));
      }
      run.extraSlope.forEach((name, value) -> {
        ExtraLine line = forecast.extra().get(name);
        value.set(line == null ? Double.NaN : line.slope());
        run.extraResidual.get(name).set(line == null ? Double.NaN : line.residual());
      });
      run.forecasts.increment();
    });
  }

  /**
   * Records a run's end: the measured share of wall time spent on hypergradients; its meters
   * expire once the retention has passed from now.
   */
  public void runFinished(RunFinished finished) {
    long now = clock.millis();
    record(finished.runId(), run -> {
      if (finished.wallSeconds() > 0 && Double.isFinite(finished.hypergradientSeconds())) {
        run.measuredShare.set(finished.hypergradientSeconds() / finished.wallSeconds());
      }
      if (finished.finalEvaluation() != null) {
        evaluation(finished.finalEvaluation());
      }
      run.finishedAtMillis = now;
    });
  }

  /**
   * Counts a record sent to the dead-letter topic under its run when that run has meters, else
   * under {@value #UNKNOWN_RUN} ({@code runId} null when unreadable): a garbage key gets no
   * meters.
   */
  public void deadLettered(String runId) {
    RunMeters run = runId == null ? null : runs.get(runId);
    (run != null ? run.deadLettered : unknownDeadLettered).increment();
  }

  /**
   * Removes the meters of runs that finished more than the retention ago, and drops the events
   * that waited longer than {@link #START_GRACE} for their run's start. Returns the runs removed.
   */
  public int expireFinished() {
    long now = clock.millis();
    int removed = 0;
    for (Map.Entry<String, RunMeters> entry : runs.entrySet()) {
      RunMeters run = entry.getValue();
      long finished = run.finishedAtMillis;
      if (finished != Long.MAX_VALUE && now - finished >= retention.toMillis()) {
        synchronized (this) {
          if (runs.remove(entry.getKey(), run)) {
            expired.add(entry.getKey());
            run.meters.forEach(registry::remove);
            removed++;
          }
        }
      }
    }
    synchronized (this) {
      Iterator<Waiting> oldest = waiting.values().iterator();
      while (oldest.hasNext()) {
        Waiting held = oldest.next();
        if (now - held.sinceMillis < START_GRACE.toMillis()) {
          break;
        }
        oldest.remove();
        waitingEvents -= held.actions.size();
        unstarted.increment(held.actions.size());
      }
    }
    return removed;
  }

  /**
   * Takes a run that had ended before this monitor started as expired: it gets no meters, and
   * its late events are dropped as an expired run's are, unless it starts again.
   */
  public synchronized void endedBeforeStart(String runId) {
    if (!runs.containsKey(runId)) {
      expired.add(runId);
    }
  }

  /** Runs that have meters now. */
  public int runsWithMeters() {
    return runs.size();
  }

  /** Applies an event to its run's meters, or holds it until the run starts. */
  private void record(String runId, Consumer<RunMeters> action) {
    RunMeters meters = runs.get(runId);
    if (meters == null) {
      synchronized (this) {
        meters = runs.get(runId);
        if (meters == null) {
          hold(runId, action);
          return;
        }
      }
    }
    action.accept(meters);
  }

  /** Guarded by this. */
  private void hold(String runId, Consumer<RunMeters> action) {
    if (expired.contains(runId)) {
      unstarted.increment();
      return;
    }
    waiting.computeIfAbsent(runId, id -> new Waiting(clock.millis())).actions.add(action);
    waitingEvents++;
    if (waitingEvents > MAX_WAITING) {
      Iterator<Waiting> oldest = waiting.values().iterator();
      Waiting dropped = oldest.next();
      oldest.remove();
      waitingEvents -= dropped.actions.size();
      unstarted.increment(dropped.actions.size());
    }
  }

  private RunMeters register(String runId, io.distilflux.pipeline.event.RunConfig config) {
    return new RunMeters(registry, Tags.of(RUN_TAG, runId), config.extraMeta().keySet());
  }

  /** Events of a run not started yet, and when the first of them came. */
  private static final class Waiting {
    final long sinceMillis;
    final List<Consumer<RunMeters>> actions = new ArrayList<>();

    Waiting(long sinceMillis) {
      this.sinceMillis = sinceMillis;
    }
  }

  /** A double a gauge reads; the registry only holds it weakly. */
  private static final class Value {
    private volatile double value = Double.NaN;

    void set(double v) {
      value = v;
    }

    double get() {
      return value;
    }
  }

  /** The meters and gauge holders of one run. */
  private static final class RunMeters {
    final Value lambda1 = new Value();
    final Value lambda2 = new Value();
    final Value temperature = new Value();
    final Value trainLoss = new Value();
    final Value kl = new Value();
    final Value stability = new Value();
    final Value ceLoss = new Value();
    final Value kdLoss = new Value();
    final Value validationLoss = new Value();
    final Value hyperGradientNorm = new Value();
    final Value validationAccuracy = new Value();
    final Value evalValidationLoss = new Value();
    final Value testAccuracy = new Value();
    final Value testLoss = new Value();
    final Value measuredShare = new Value();
    final Value latestStep = new Value();
    final Value forecastActive = new Value();
    final Value[] slope = {new Value(), new Value(), new Value()};
    final Value[] residual = {new Value(), new Value(), new Value()};
    /** Per extra meta-parameter the run declared (bounded by its configuration), by name. */
    final Map<String, Value> extraValue = new java.util.TreeMap<>();
    final Map<String, Value> extraSlope = new java.util.TreeMap<>();
    final Map<String, Value> extraResidual = new java.util.TreeMap<>();
    final Timer stepDuration;
    final Counter skipped;
    final Counter received;
    final Counter forecasts;
    final Counter deadLettered;
    final Map<Phase, Counter> phaseSteps = new EnumMap<>(Phase.class);
    /** Every meter registered for the run, removed together when they expire. */
    final List<Meter> meters = new ArrayList<>();
    /** When the run ended (the monitor's clock); {@link Long#MAX_VALUE} while it runs. */
    volatile long finishedAtMillis = Long.MAX_VALUE;
    // Keys already recorded, so a replayed event is not counted twice.
    final StepSet stepsSeen = new StepSet();
    final StepSet forecastsSeen = new StepSet();

    // Step rate from the extreme steps seen, robust to out-of-order and replayed events.
    private final AtomicLong firstStep = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong lastStep = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong firstMillis = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong lastMillis = new AtomicLong(Long.MIN_VALUE);
    private final Object durations = new Object();
    private double hyperGradientStepSeconds;
    private double allStepSeconds;

    RunMeters(MeterRegistry registry, Tags tags, java.util.Set<String> extraNames) {
      gauge(registry, "distilflux.meta.lambda1", tags, lambda1, "weight of the CE with labels");
      gauge(registry, "distilflux.meta.lambda2", tags, lambda2, "weight of the KD term");
      gauge(registry, "distilflux.meta.temperature", tags, temperature, "temperature T");
      gauge(registry, "distilflux.train.loss", tags, trainLoss, "λ1·CE + λ2·KD of the step");
      gauge(registry, "distilflux.train.loss.ce", tags, ceLoss, "CE part of the step");
      gauge(registry, "distilflux.train.loss.kd", tags, kdLoss, "KD part of the step");
      gauge(registry, "distilflux.hypergradient.validation.loss", tags, validationLoss,
          "validation loss of the last hypergradient");
      gauge(registry, "distilflux.hypergradient.norm", tags, hyperGradientNorm,
          "Euclidean norm of the last finite hypergradient");
      gauge(registry, "distilflux.evaluation.validation.accuracy", tags, validationAccuracy,
          "validation accuracy");
      gauge(registry, "distilflux.evaluation.validation.loss", tags, evalValidationLoss,
          "validation loss");
      gauge(registry, "distilflux.evaluation.test.accuracy", tags, testAccuracy,
          "test accuracy");
      gauge(registry, "distilflux.evaluation.test.loss", tags, testLoss, "test loss");
      for (int i = 0; i < 3; i++) {
        Tags coordinate = tags.and("coordinate", "b" + (i + 1));
        gauge(registry, "distilflux.forecast.slope", coordinate, slope[i],
            "slope per step of the last forecast");
        gauge(registry, "distilflux.forecast.residual", coordinate, residual[i],
            "RMS residual of the last forecast's fit");
      }
      for (String name : extraNames) {
        extraValue.put(name, new Value());
        extraSlope.put(name, new Value());
        extraResidual.put(name, new Value());
        gauge(registry, "distilflux.meta.extra", tags.and("name", name), extraValue.get(name),
            "value of an extra meta-parameter (for example lambdaC, the complexity weight)");
        Tags coordinate = tags.and("coordinate", name);
        gauge(registry, "distilflux.forecast.slope", coordinate, extraSlope.get(name),
            "slope per step of the last forecast");
        gauge(registry, "distilflux.forecast.residual", coordinate, extraResidual.get(name),
            "RMS residual of the last forecast's fit");
      }
      if (extraNames.contains(io.distilflux.pipeline.event.ExtraParameter.COMPLEXITY.jsonName())) {
        gauge(registry, "distilflux.student.kl", tags, kl,
            "KL(q‖p) of the variational student's weights after the latest step");
        gauge(registry, "distilflux.student.stability", tags, stability,
            "S = acc(0 %)/acc(90 % pruned) of the variational student on a test slice, at the"
                + " latest evaluation");
      }
      gauge(registry, "distilflux.train.step", tags, latestStep,
          "index of the latest training step");
      gauge(registry, "distilflux.forecast.active", tags, forecastActive,
          "1 while the latest step followed a forecast line (a forecast window), else 0");
      meters.add(Gauge.builder("distilflux.steps.rate", this, RunMeters::stepsPerSecond)
          .tags(tags).description("steps per second from step timestamps")
          .register(registry));
      meters.add(Gauge.builder("distilflux.cost.hypergradient.share", this,
              RunMeters::hyperGradientShare)
          .tags(tags)
          .description("share of wall time on hypergradients: measured at the run's end, "
              + "else the share of step time spent in hypergradient-phase steps")
          .register(registry));
      stepDuration = Timer.builder("distilflux.step.duration").tags(tags)
          .description("wall time of a training step").register(registry);
      meters.add(stepDuration);
      skipped = counter(registry, "distilflux.hypergradient.skipped", tags,
          "hypergradients skipped because not finite");
      received = counter(registry, "distilflux.hypergradient.received", tags,
          "finite hypergradients received");
      forecasts = counter(registry, "distilflux.forecasts", tags,
          "trajectory forecasts seen");
      deadLettered = counter(registry, "distilflux.events.deadlettered", tags,
          "records sent to the dead-letter topic");
      for (Phase phase : Phase.values()) {
        phaseSteps.put(phase, counter(registry, "distilflux.steps",
            tags.and("phase", phase.name().toLowerCase(Locale.ROOT)),
            "training steps by how λ was obtained"));
      }
    }

    void observeTimestamp(long step, long millis) {
      firstStep.accumulateAndGet(step, Math::min);
      lastStep.accumulateAndGet(step, Math::max);
      firstMillis.accumulateAndGet(millis, Math::min);
      lastMillis.accumulateAndGet(millis, Math::max);
    }

    /** The step index and phase gauges follow the highest step seen (replays may go back). */
    synchronized void latest(long step, Phase phase) {
      double current = latestStep.get();
      if (Double.isNaN(current) || step >= current) {
        latestStep.set(step);
        forecastActive.set(phase == Phase.FORECAST ? 1 : 0);
      }
    }

    void addDuration(Phase phase, double seconds) {
      synchronized (durations) {
        allStepSeconds += seconds;
        if (phase == Phase.HYPERGRADIENT) {
          hyperGradientStepSeconds += seconds;
        }
      }
    }

    double stepsPerSecond() {
      long millis = lastMillis.get() - firstMillis.get();
      long steps = lastStep.get() - firstStep.get();
      return millis > 0 && steps >= 0 ? steps * 1000.0 / millis : Double.NaN;
    }

    double hyperGradientShare() {
      double measured = measuredShare.get();
      if (!Double.isNaN(measured)) {
        return measured;
      }
      synchronized (durations) {
        return allStepSeconds > 0 ? hyperGradientStepSeconds / allStepSeconds : Double.NaN;
      }
    }

    private void gauge(
        MeterRegistry registry, String name, Tags tags, Value holder, String description) {
      ToDoubleFunction<Value> read = Value::get;
      meters.add(
          Gauge.builder(name, holder, read).tags(tags).description(description).register(registry));
    }

    private Counter counter(
        MeterRegistry registry, String name, Tags tags, String description) {
      Counter counter = Counter.builder(name).tags(tags).description(description).register(registry);
      meters.add(counter);
      return counter;
    }
  }

  /**
   * Steps seen by one run: a contiguous prefix [0, next) plus the few seen beyond it, so memory
   * stays small for in-order streams.
   */
  private static final class StepSet {
    private long next;
    private final java.util.TreeSet<Long> ahead = new java.util.TreeSet<>();

    /** Adds a step; false when it was already there. */
    synchronized boolean add(long step) {
      if (step < next || !ahead.add(step)) {
        return false;
      }
      while (!ahead.isEmpty() && ahead.first() == next) {
        ahead.pollFirst();
        next++;
      }
      return true;
    }
  }
}
