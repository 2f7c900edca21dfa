package io.distilflux.trainer.run;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.ExtraGradient;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.StructureChosen;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.distill.DistillationTrainer;
import io.distilflux.trainer.distill.EvaluationResult;
import io.distilflux.trainer.distill.HyperGradientResult;
import io.distilflux.trainer.distill.StepOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;
import java.util.function.Predicate;
import io.micrometer.core.instrument.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.SynchronousSink;
import reactor.core.scheduler.Scheduler;

/**
 * One student run as a stream of events: {@link RunStarted}, then per step a
 * {@link TrainingStep} (and a {@link HyperGradient} in hypergradient phases), an
 * {@link Evaluation} every {@code evaluateEvery} steps and at the end, and {@link RunFinished}.
 *
 * <p>The loop is pulled by demand: a step is trained only when downstream asks for events, on
 * the dedicated scheduler given, never on the subscriber's thread. The same loop serves every
 * mode of docs/method.md §5; modes differ only in their {@link MetaSource}.
 */
public final class StudentRun {

  private static final Logger LOG = LoggerFactory.getLogger(StudentRun.class);

  private final String runId;
  private final RunConfig config;
  private final DistillationTrainer trainer;
  private final Iterator<Batch> batches;
  private final int batchesPerEpoch;
  private final LongFunction<Split> validationBatch;
  private final Split validation;
  private final Split test;
  private final MetaSource metaSource;
  private final Duration metaTimeout;
  private final Provenance provenance;
  private final Controls controls;
  /** The lease of the subscription training the run, once there is one. */
  private volatile ComputePermits.Lease lease;

  /**
   * How a run checkpoints, resumes and reacts to a late meta-parameter.
   *
   * @param onMetaTimeout fail, or hold the last λ
   * @param heldSteps counts the steps trained with a held λ
   * @param checkpoints where checkpoints go, or null for none
   * @param checkpointEvery steps between checkpoints (and one at the end); 0 for none
   * @param resumeFrom the checkpoint this subscription continues from, or null for a fresh run
   * @param alreadyPublished events a previous attempt already delivered: not emitted again
   */
  public record Controls(
      OnMetaTimeout onMetaTimeout,
      Counter heldSteps,
      CheckpointStore checkpoints,
      int checkpointEvery,
      Checkpoint resumeFrom,
      Predicate<Event> alreadyPublished) {

    /** Fail on a timeout, no checkpoints, a fresh run. */
    public static Controls defaults() {
      return new Controls(OnMetaTimeout.FAIL, null, null, 0, null, e -> false);
    }
  }

  /** Which code computes the student's steps, and why (one line). */
  public String computationPath() {
    return trainer.computationPath() + " (" + trainer.computationReason() + ")";
  }

  /** The student network this run trains (its parameters change while it runs). */
  public org.deeplearning4j.nn.multilayer.MultiLayerNetwork student() {
    return trainer.student();
  }

  /**
   * A copy of a variational student's θ = (μ, ρ), μ first (see {@link
   * DistillationTrainer#variationalParameters()}).
   *
   * @throws UnsupportedOperationException for a student that is not variational
   */
  public double[] variationalParameters() {
    return trainer.variationalParameters();
  }

  /**
   * How long a run that only computes may go on from step to step under one compute permit
   * before the next run in line gets it: many small steps, or one large one.
   */
  static final Duration COMPUTE_SLICE = Duration.ofMillis(2);

  /** How long a held step waits for its update before training with the held λ again. */
  static final Duration HOLD_WAIT = Duration.ofSeconds(1);

  /**
   * Creates the run; nothing is trained before the returned {@link #events} is subscribed to.
   *
   * @param batches the student's mini-batches in training order, {@code config.steps()} of them
   * @param batchesPerEpoch batches in one epoch, for the epoch index of events
   * @param validationBatch the validation batch the hypergradient of a step is taken on
   * @param validation the whole validation set, for evaluations
   * @param test the test set, for evaluations
   */
  public StudentRun(
      String runId,
      RunConfig config,
      DistillationTrainer trainer,
      Iterator<Batch> batches,
      int batchesPerEpoch,
      LongFunction<Split> validationBatch,
      Split validation,
      Split test,
      MetaSource metaSource,
      Duration metaTimeout,
      Provenance provenance) {
    this(runId, config, trainer, batches, batchesPerEpoch, validationBatch, validation, test,
        metaSource, metaTimeout, provenance, Controls.defaults());
  }

  /**
   * As the other constructor, with checkpoints, a resume point and a timeout policy. When
   * {@code controls.resumeFrom()} is set, {@code trainer} must already hold its parameters and
   * optimizer state and {@code batches} must start at its step.
   */
  public StudentRun(
      String runId,
      RunConfig config,
      DistillationTrainer trainer,
      Iterator<Batch> batches,
      int batchesPerEpoch,
      LongFunction<Split> validationBatch,
      Split validation,
      Split test,
      MetaSource metaSource,
      Duration metaTimeout,
      Provenance provenance,
      Controls controls) {
    this.controls = controls;
    this.runId = runId;
    this.config = config;
    this.trainer = trainer;
    this.batches = batches;
    this.batchesPerEpoch = batchesPerEpoch;
    this.validationBatch = validationBatch;
    this.validation = validation;
    this.test = test;
    this.metaSource = metaSource;
    this.metaTimeout = metaTimeout;
    this.provenance = provenance;
  }

  /** The run's id. */
  public String runId() {
    return runId;
  }

  /** The run's configuration. */
  public RunConfig config() {
    return config;
  }

  /** The step a subscription starts training at: 0, or the resumed checkpoint's step. */
  public long firstStep() {
    return controls.resumeFrom() == null ? 0 : controls.resumeFrom().step();
  }

  /** The run's events; training happens on {@code scheduler} as they are requested. */
  public Flux<Event> events(Scheduler scheduler) {
    return events(scheduler, ComputePermits.unbounded());
  }

  /**
   * The run's events, trained on {@code scheduler} as they are requested, computing only while
   * it holds one of {@code permits}: each step takes a permit, and gives it back while it waits
   * on the bus for its meta-parameters and once its events are handed on. A run that never waits
   * on the bus trains on from step to step under one permit for up to {@link #COMPUTE_SLICE},
   * unless a run on the bus waits for a permit. The numbers do not depend on the permits.
   *
   * @param scheduler a scheduler whose threads may block (a wait for an update blocks one)
   */
  public Flux<Event> events(Scheduler scheduler, ComputePermits permits) {
    return Flux.<List<Event>, Loop>generate(
            () -> new Loop(metaSource.awaitsTheBus() ? permits.urgentLease() : permits.lease()),
            this::advance, Loop::close)
        // Not fused: each step's events go downstream (to the bus) inside advance(), while it
        // holds its permit and before it ends its round; fused, concatMapIterable would pull
        // them only after advance() returned.
        .hide()
        // One step's events at a time: the next advance() is asked for only once every event
        // before it has gone downstream. With more prefetched, a consumer slower than the run
        // leaves a hypergradient queued here while the next step waits for its update, which
        // then never comes (a downstream request would have to run on this blocked thread).
        .concatMapIterable(list -> list, 1)
        .filter(event -> !controls.alreadyPublished().test(event))
        .subscribeOn(scheduler, true);
  }

  /**
   * How long the run's training has held a compute permit and waited in line for one: zero
   * until its events are subscribed to (see {@link #events}).
   */
  public ComputePermits.Usage permitUsage() {
    ComputePermits.Lease current = lease;
    return current == null ? new ComputePermits.Usage(0, 0) : current.usage();
  }

  /** Mutable state of one subscription to the run. */
  private final class Loop {
    final ComputePermits.Lease lease;
    long step;
    long hypergradientSteps;
    long forecastSteps;
    double hypergradientSeconds;
    Evaluation lastEvaluation;
    MetaPoint lastPoint;
    long startNanos = System.nanoTime();
    boolean started;
    boolean finished;
    boolean holding;

    Loop(ComputePermits.Lease lease) {
      this.lease = lease;
      StudentRun.this.lease = lease;
      Checkpoint from = controls.resumeFrom();
      if (from != null) {
        step = from.step();
        hypergradientSteps = from.hypergradientSteps();
        forecastSteps = from.forecastSteps();
        hypergradientSeconds = from.hypergradientSeconds();
        lastEvaluation = from.lastEvaluation();
        lastPoint = from.lastPoint();
        startNanos -= (long) (from.wallSeconds() * 1e9);
      }
    }

    void close() {
      lease.close();
      metaSource.close();
    }
  }

  private Loop advance(Loop loop, SynchronousSink<List<Event>> sink) {
    if (loop.finished) {
      sink.complete();
      return loop;
    }
    List<Event> out = new ArrayList<>();
    try {
      loop.lease.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.add(finished(loop, "interrupted at step " + loop.step));
      loop.finished = true;
      sink.next(out);
      return loop;
    }
    if (!loop.started) {
      loop.started = true;
      out.add(new RunStarted(Event.CURRENT_SCHEMA_VERSION, runId, config,
          System.currentTimeMillis(), provenance));
    }
    try {
      long sliceEnd = System.nanoTime() + COMPUTE_SLICE.toNanos();
      long first = loop.step;
      while (loop.step < config.steps() && batches.hasNext()) {
        trainOneStep(loop, out);
        int every = controls.checkpointEvery();
        if (every > 0 && loop.step % every == 0 && loop.step < config.steps()) {
          checkpoint(loop);
        }
        if (!goesOnComputing(loop, sliceEnd)) {
          break;
        }
      }
      // A run ahead of the meta-optimizer hands this call's hypergradients on before it waits
      // for their updates to be matched: it finishes in the next call.
      boolean handOnFirst = metaSource.runsAhead() && loop.step > first;
      if ((loop.step >= config.steps() || !batches.hasNext()) && !handOnFirst) {
        if (loop.lastEvaluation == null || loop.lastEvaluation.step() != loop.step - 1) {
          out.add(evaluate(loop, loop.step - 1));
        }
        awaitConfirmed(loop);
        if (controls.checkpointEvery() > 0) {
          checkpoint(loop);
        }
        out.add(finished(loop, null));
        loop.finished = true;
      }
    } catch (MetaTimeoutException e) {
      // Nothing of this step was trained: a checkpoint here resumes exactly where it stopped.
      LOG.error("run {} stopped at step {}: {}", runId, loop.step, e.getMessage());
      if (controls.checkpointEvery() > 0) {
        checkpoint(loop);
      }
      out.add(finished(loop, e.getMessage()));
      loop.finished = true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.add(finished(loop, "interrupted at step " + loop.step));
      loop.finished = true;
    } catch (RuntimeException e) {
      LOG.error("run {} failed at step {}: {}", runId, loop.step, e.getMessage());
      out.add(finished(loop, e.getMessage() == null ? e.toString() : e.getMessage()));
      loop.finished = true;
    }
    boolean hyperGradient = out.stream().anyMatch(HyperGradient.class::isInstance);
    try {
      // Handing the events on (a send to the bus) counts as the step's compute.
      sink.next(out);
    } finally {
      loop.lease.release();
    }
    if (hyperGradient) {
      metaSource.hyperGradientSent(loop.step - 1);
    }
    return loop;
  }

  /**
   * Whether the next step follows under the same permit: for a run that never waits on the bus
   * (whose events nothing waits for) while no run on the bus waits for a permit, and for a run
   * that runs ahead of the meta-optimizer; either within its compute slice. One step per permit
   * would cost two thread switches a step, as much as a small student's step itself; the numbers
   * are the same either way.
   */
  private boolean goesOnComputing(Loop loop, long sliceEnd) {
    // a run ahead goes on while its next step need not wait: a wait would hold back this
    // call's hypergradients, which are handed on only when it returns
    boolean computes = metaSource.awaitsTheBus()
        ? metaSource.runsAhead() && metaSource.ready(loop.step) != null
        : !loop.lease.othersWaitFirst();
    return computes
        && System.nanoTime() - sliceEnd < 0
        && !Thread.currentThread().isInterrupted();
  }

  private void trainOneStep(Loop loop, List<Event> out) throws InterruptedException {
    long step = loop.step;
    Phase phase = config.phaseOf(step);
    metaSource.stepStarts(step, phase == Phase.HYPERGRADIENT);
    // The forward does not depend on λ: computing it first hides it in the wait for λ when the
    // meta-parameters come over the bus (the numbers are the same either way).
    long begin = System.nanoTime();
    DistillationTrainer.PreparedStep prepared = trainer.prepare(batches.next());
    long forwardNanos = System.nanoTime() - begin;
    MetaPoint point = pointFor(loop, step);
    loop.lastPoint = point;
    long resumed = System.nanoTime();
    StepOutcome outcome = phase == Phase.HYPERGRADIENT
        ? trainer.stepWithHyperGradient(prepared, validationBatch.apply(step), point.b(),
            point.extra())
        : trainer.step(prepared, point.values(), point.extraValues());
    double seconds = (forwardNanos + System.nanoTime() - resumed) / 1e9;
    int epoch = (int) (step / batchesPerEpoch);
    boolean due = config.evaluateEvery() > 0 && (step + 1) % config.evaluateEvery() == 0;
    Map<String, Double> values = point.extraValues();
    // a variational student's KL after every step and S on a test slice at the evaluated ones
    // (the monitor's gauges); a supernet's Gumbel temperature during its search
    Map<String, Double> diagnostics = trainer.diagnostics(due ? test : null);
    if (!diagnostics.isEmpty()) {
      values = new TreeMap<>(values);
      values.putAll(diagnostics);
    }
    out.add(new TrainingStep(Event.CURRENT_SCHEMA_VERSION, runId, step, epoch, phase,
        outcome.trainLoss(), outcome.ceLoss(), outcome.kdLoss(), point.values(), seconds,
        System.currentTimeMillis(), values));
    if (phase == Phase.HYPERGRADIENT) {
      loop.hypergradientSteps++;
      loop.hypergradientSeconds += seconds;
      HyperGradientResult hg = outcome.hyperGradient().orElseThrow();
      Map<String, ExtraGradient> extra = new TreeMap<>();
      point.extra().forEach((name, at) ->
          extra.put(name, new ExtraGradient(at, hg.extra().getOrDefault(name, Double.NaN))));
      HyperGradient sent = new HyperGradient(Event.CURRENT_SCHEMA_VERSION, runId, step,
          point.b(), hg.gradient(), hg.validationLoss(), config.innerLearningRate(),
          hg.validationGradientNormSquared(), extra);
      metaSource.hyperGradientComputed(sent);
      out.add(sent);
    } else if (phase == Phase.FORECAST) {
      loop.forecastSteps++;
    }
    loop.step++;
    if (due) {
      out.add(evaluate(loop, step));
    }
    if (trainer.structureDue(loop.step) && loop.step < config.steps()) {
      // the end of the search, at a mini-epoch boundary: the next step trains the chosen student
      StructureChosen chosen = trainer.chooseStructure(runId, step, point.values());
      LOG.info("run {}: structure chosen after step {}: hidden layers {}, logits {}", runId,
          step, chosen.hiddenSizes(), chosen.structureLogits());
      out.add(chosen);
    }
  }

  /** The step's meta-parameters; with {@code hold}, the last ones when the update is late. */
  private MetaPoint pointFor(Loop loop, long step) throws InterruptedException {
    if (controls.onMetaTimeout() != OnMetaTimeout.HOLD || loop.lastPoint == null) {
      return await(loop, step, metaTimeout);
    }
    // While holding, each step waits briefly, so the run resynchronises soon after the
    // meta-optimizer (or monitor) is back, without stalling a full timeout per step.
    Duration wait = loop.holding && HOLD_WAIT.compareTo(metaTimeout) < 0 ? HOLD_WAIT : metaTimeout;
    try {
      MetaPoint point = await(loop, step, wait);
      if (loop.holding) {
        loop.holding = false;
        LOG.warn("run {} step {}: meta-parameters arrive again, no longer holding", runId, step);
      }
      return point;
    } catch (MetaTimeoutException e) {
      if (!loop.holding) {
        loop.holding = true;
        LOG.warn("run {} step {}: {}; holding λ at {} (--on-meta-timeout hold)", runId, step,
            e.getMessage(), loop.lastPoint.values());
      }
      if (controls.heldSteps() != null) {
        controls.heldSteps().increment();
      }
      return loop.lastPoint;
    }
  }

  /**
   * The step's meta-parameters, waiting at most {@code timeout}; while it waits the run holds no
   * compute permit, so other runs compute in the meantime.
   */
  private MetaPoint await(Loop loop, long step, Duration timeout) throws InterruptedException {
    MetaPoint ready = metaSource.ready(step);
    if (ready != null) {
      return ready;
    }
    loop.lease.release();
    try {
      return metaSource.pointFor(step, timeout);
    } finally {
      loop.lease.acquireUninterruptibly();
    }
  }

  /**
   * Waits, without a compute permit, until the meta-optimizer has matched every update the run
   * trained on ahead of it (see {@link MetaSource#runsAhead()}). A run that holds λ while the
   * services are away finishes anyway, with a warning: it already trained on values no service
   * gave it.
   */
  private void awaitConfirmed(Loop loop) throws InterruptedException {
    if (!metaSource.runsAhead()) {
      return;
    }
    loop.lease.release();
    try {
      metaSource.awaitConfirmed(metaTimeout);
    } catch (MetaTimeoutException e) {
      if (controls.onMetaTimeout() != OnMetaTimeout.HOLD) {
        throw e;
      }
      LOG.warn("run {} finishes unmatched (--on-meta-timeout hold): {}", runId, e.getMessage());
    } finally {
      loop.lease.acquireUninterruptibly();
    }
  }

  /** Writes a checkpoint of the loop's state; a failed write is logged, training goes on. */
  private void checkpoint(Loop loop) {
    if (controls.checkpoints() == null) {
      return;
    }
    try {
      Checkpoint checkpoint = new Checkpoint(runId, config, loop.step,
          trainer.student().params().dup(), trainer.optimizerState(), loop.hypergradientSteps,
          loop.forecastSteps, loop.hypergradientSeconds,
          (System.nanoTime() - loop.startNanos) / 1e9, loop.lastEvaluation, loop.lastPoint);
      controls.checkpoints().write(checkpoint, batchesPerEpoch);
    } catch (RuntimeException e) {
      if (Thread.currentThread().isInterrupted()) {
        // the experiment is stopping (Ctrl-C): the write was cut short, the one before stands
        LOG.info("run {}: stopped while writing its checkpoint at step {}; its checkpoint before"
            + " that one stays", runId, loop.step);
      } else {
        LOG.error("run {}: checkpoint at step {} not written: {}", runId, loop.step,
            e.getMessage());
      }
    }
  }

  private Evaluation evaluate(Loop loop, long step) {
    EvaluationResult onValidation = trainer.evaluate(validation);
    EvaluationResult onTest = trainer.evaluate(test);
    Evaluation evaluation = new Evaluation(Event.CURRENT_SCHEMA_VERSION, runId, Math.max(0, step),
        (int) (Math.max(0, step) / batchesPerEpoch), onValidation.accuracy(), onValidation.loss(),
        onTest.accuracy(), onTest.loss());
    loop.lastEvaluation = evaluation;
    return evaluation;
  }

  private RunFinished finished(Loop loop, String failure) {
    return new RunFinished(Event.CURRENT_SCHEMA_VERSION, runId, loop.step, loop.lastEvaluation,
        loop.hypergradientSteps, loop.forecastSteps, (System.nanoTime() - loop.startNanos) / 1e9,
        loop.hypergradientSeconds, failure, System.currentTimeMillis());
  }
}
