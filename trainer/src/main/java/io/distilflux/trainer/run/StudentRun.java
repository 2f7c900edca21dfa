package io.distilflux.trainer.run;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
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
import java.util.function.LongFunction;
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
 * mode of method.md §5; modes differ only in their {@link MetaSource}.
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

  /** The run's events; training happens on {@code scheduler} as they are requested. */
  public Flux<Event> events(Scheduler scheduler) {
    return Flux.<List<Event>, Loop>generate(Loop::new, this::advance, Loop::close)
        .concatMapIterable(list -> list)
        .subscribeOn(scheduler, true);
  }

  /** Mutable state of one subscription to the run. */
  private final class Loop {
    long step;
    long hypergradientSteps;
    long forecastSteps;
    double hypergradientSeconds;
    Evaluation lastEvaluation;
    final long startNanos = System.nanoTime();
    boolean started;
    boolean finished;

    void close() {
      metaSource.close();
    }
  }

  private Loop advance(Loop loop, SynchronousSink<List<Event>> sink) {
    if (loop.finished) {
      sink.complete();
      return loop;
    }
    List<Event> out = new ArrayList<>(4);
    if (!loop.started) {
      loop.started = true;
      out.add(new RunStarted(Event.CURRENT_SCHEMA_VERSION, runId, config,
          System.currentTimeMillis(), provenance));
    }
    try {
      if (loop.step < config.steps() && batches.hasNext()) {
        trainOneStep(loop, out);
      }
      if (loop.step >= config.steps() || !batches.hasNext()) {
        if (loop.lastEvaluation == null || loop.lastEvaluation.step() != loop.step - 1) {
          out.add(evaluate(loop, loop.step - 1));
        }
        out.add(finished(loop, null));
        loop.finished = true;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.add(finished(loop, "interrupted at step " + loop.step));
      loop.finished = true;
    } catch (RuntimeException e) {
      LOG.error("run {} failed at step {}: {}", runId, loop.step, e.getMessage());
      out.add(finished(loop, e.getMessage() == null ? e.toString() : e.getMessage()));
      loop.finished = true;
    }
    sink.next(out);
    return loop;
  }

  private void trainOneStep(Loop loop, List<Event> out) throws InterruptedException {
    long step = loop.step;
    Phase phase = config.phaseOf(step);
    MetaPoint point = metaSource.pointFor(step, metaTimeout);
    Batch batch = batches.next();
    long begin = System.nanoTime();
    StepOutcome outcome = phase == Phase.HYPERGRADIENT
        ? trainer.stepWithHyperGradient(batch, validationBatch.apply(step), point.b())
        : trainer.step(batch, point.values());
    double seconds = (System.nanoTime() - begin) / 1e9;
    int epoch = (int) (step / batchesPerEpoch);
    out.add(new TrainingStep(Event.CURRENT_SCHEMA_VERSION, runId, step, epoch, phase,
        outcome.trainLoss(), outcome.ceLoss(), outcome.kdLoss(), point.values(), seconds,
        System.currentTimeMillis()));
    if (phase == Phase.HYPERGRADIENT) {
      loop.hypergradientSteps++;
      loop.hypergradientSeconds += seconds;
      HyperGradientResult hg = outcome.hyperGradient().orElseThrow();
      out.add(new HyperGradient(Event.CURRENT_SCHEMA_VERSION, runId, step, point.b(),
          hg.gradient(), hg.validationLoss(), config.innerLearningRate()));
    } else if (phase == Phase.FORECAST) {
      loop.forecastSteps++;
    }
    loop.step++;
    boolean due = config.evaluateEvery() > 0 && (step + 1) % config.evaluateEvery() == 0;
    if (due) {
      out.add(evaluate(loop, step));
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
