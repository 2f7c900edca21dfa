package io.distilflux.monitor.metrics;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * Turns events into Micrometer meters, every one tagged with its {@code run}. Gauges read
 * per-run holders kept in a map here, so the registry's weak references stay reachable.
 * Thread-safe; each call does a map look-up and a few atomic writes.
 */
public final class MonitorMetrics {

  /** Tag carrying the run id. */
  public static final String RUN_TAG = "run";
  /** Run tag value of dead letters whose run could not be read. */
  public static final String UNKNOWN_RUN = "unknown";

  private final MeterRegistry registry;
  private final Map<String, RunMeters> runs = new ConcurrentHashMap<>();

  /** Metrics registered in the given registry. */
  public MonitorMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /**
   * Records a training step: λ, losses, duration, phase count and step rate. A step of the run
   * already recorded (a replayed or resumed stream) is ignored: meters count each step once.
   */
  public void step(TrainingStep step) {
    RunMeters run = run(step.runId());
    if (!run.stepsSeen.add(step.step())) {
      return;
    }
    MetaValues meta = step.meta();
    run.lambda1.set(meta.lambda1());
    run.lambda2.set(meta.lambda2());
    run.temperature.set(meta.temperature());
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
  }

  /** Records a hypergradient: validation loss and norm, or a skip when it is not finite. */
  public void hyperGradient(HyperGradient hyperGradient) {
    RunMeters run = run(hyperGradient.runId());
    run.validationLoss.set(hyperGradient.validationLoss());
    if (!hyperGradient.gradient().isFinite()) {
      run.skipped.increment();
      return;
    }
    double[] g = hyperGradient.gradient().toArray();
    run.hyperGradientNorm.set(Math.sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]));
    run.received.increment();
  }

  /** Records an evaluation: validation and test accuracy and loss. */
  public void evaluation(Evaluation evaluation) {
    RunMeters run = run(evaluation.runId());
    run.validationAccuracy.set(evaluation.validationAccuracy());
    run.evalValidationLoss.set(evaluation.validationLoss());
    run.testAccuracy.set(evaluation.testAccuracy());
    run.testLoss.set(evaluation.testLoss());
  }

  /** Records a forecast: slope and residual per coordinate, and a count. */
  public void forecast(TrajectoryForecast forecast) {
    RunMeters run = run(forecast.runId());
    if (!run.forecastsSeen.add(forecast.periodStart())) {
      return;
    }
    for (int i = 0; i < 3; i++) {
      run.slope[i].set(forecast.slope().get(i));
      run.residual[i].set(forecast.residual().get(i));
    }
    run.forecasts.increment();
  }

  /** Records a run's end: the measured share of wall time spent on hypergradients. */
  public void runFinished(RunFinished finished) {
    RunMeters run = run(finished.runId());
    if (finished.wallSeconds() > 0 && Double.isFinite(finished.hypergradientSeconds())) {
      run.measuredShare.set(finished.hypergradientSeconds() / finished.wallSeconds());
    }
    if (finished.finalEvaluation() != null) {
      evaluation(finished.finalEvaluation());
    }
  }

  /** Counts a record sent to the dead-letter topic; {@code runId} null when unreadable. */
  public void deadLettered(String runId) {
    run(runId == null || runId.isBlank() ? UNKNOWN_RUN : runId).deadLettered.increment();
  }

  private RunMeters run(String runId) {
    RunMeters meters = runs.get(runId);
    return meters != null ? meters : runs.computeIfAbsent(runId, this::register);
  }

  private RunMeters register(String runId) {
    return new RunMeters(registry, Tags.of(RUN_TAG, runId));
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
    final Timer stepDuration;
    final Counter skipped;
    final Counter received;
    final Counter forecasts;
    final Counter deadLettered;
    final Map<Phase, Counter> phaseSteps = new EnumMap<>(Phase.class);
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

    RunMeters(MeterRegistry registry, Tags tags) {
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
      gauge(registry, "distilflux.train.step", tags, latestStep,
          "index of the latest training step");
      gauge(registry, "distilflux.forecast.active", tags, forecastActive,
          "1 while the latest step followed a forecast line (a forecast window), else 0");
      Gauge.builder("distilflux.steps.rate", this, RunMeters::stepsPerSecond)
          .tags(tags).description("steps per second from step timestamps")
          .register(registry);
      Gauge.builder("distilflux.cost.hypergradient.share", this, RunMeters::hyperGradientShare)
          .tags(tags)
          .description("share of wall time on hypergradients: measured at the run's end, "
              + "else the share of step time spent in hypergradient-phase steps")
          .register(registry);
      stepDuration = Timer.builder("distilflux.step.duration").tags(tags)
          .description("wall time of a training step").register(registry);
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

    private static void gauge(
        MeterRegistry registry, String name, Tags tags, Value holder, String description) {
      ToDoubleFunction<Value> read = Value::get;
      Gauge.builder(name, holder, read).tags(tags).description(description).register(registry);
    }

    private static Counter counter(
        MeterRegistry registry, String name, Tags tags, String description) {
      return Counter.builder(name).tags(tags).description(description).register(registry);
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
