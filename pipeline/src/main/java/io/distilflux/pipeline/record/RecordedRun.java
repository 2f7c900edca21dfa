package io.distilflux.pipeline.record;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.StructureChosen;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import java.util.List;
import java.util.Optional;

/**
 * All recorded events of one run, in the order they were recorded (per topic, the order of the
 * run's partition).
 *
 * @param runId the run
 * @param events every event of the run, {@link RunStarted} first when it was recorded
 */
public record RecordedRun(String runId, List<Event> events) {

  /** Copies the list, which must hold only events of {@code runId}. */
  public RecordedRun {
    events = List.copyOf(events);
    for (Event event : events) {
      if (!event.runId().equals(runId)) {
        throw new IllegalArgumentException(
            "event of run " + event.runId() + " in the record of run " + runId);
      }
    }
  }

  /** The run's start event, with its resolved configuration, when it was recorded. */
  public Optional<RunStarted> started() {
    return first(RunStarted.class);
  }

  /** The run's end event, when the run finished. */
  public Optional<RunFinished> finished() {
    return first(RunFinished.class);
  }

  /** The events of one type, in recorded order. */
  public <E extends Event> List<E> eventsOf(Class<E> type) {
    return events.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private <E extends Event> Optional<E> first(Class<E> type) {
    return events.stream().filter(type::isInstance).map(type::cast).findFirst();
  }

  /**
   * The same events under another run id (a replay shown beside its original), every field
   * but the run id unchanged; a nested final evaluation is renamed too.
   */
  public RecordedRun withRunId(String newRunId) {
    if (newRunId == null || newRunId.isBlank()) {
      throw new IllegalArgumentException("run id must not be blank");
    }
    return new RecordedRun(newRunId, events.stream().map(e -> renamed(e, newRunId)).toList());
  }

  /** One event under another run id. */
  static Event renamed(Event event, String id) {
    if (event instanceof TrainingStep s) {
      return new TrainingStep(s.schemaVersion(), id, s.step(), s.epoch(), s.phase(), s.trainLoss(),
          s.ceLoss(), s.kdLoss(), s.meta(), s.durationSeconds(), s.timestampMillis(), s.extra());
    } else if (event instanceof HyperGradient h) {
      return new HyperGradient(h.schemaVersion(), id, h.step(), h.at(), h.gradient(),
          h.validationLoss(), h.innerLearningRate(), h.validationGradientNormSquared(),
          h.extra());
    } else if (event instanceof MetaParams m) {
      return new MetaParams(m.schemaVersion(), id, m.version(), m.meta(), m.b(), m.source(),
          m.extra());
    } else if (event instanceof TrajectoryForecast f) {
      return new TrajectoryForecast(f.schemaVersion(), id, f.periodStart(), f.fromStep(),
          f.toStep(), f.slope(), f.intercept(), f.residual(), f.points(), f.extra());
    } else if (event instanceof Evaluation e) {
      return renamedEvaluation(e, id);
    } else if (event instanceof StructureChosen c) {
      return new StructureChosen(c.schemaVersion(), id, c.step(), c.hiddenSizes(),
          c.structureLogits());
    } else if (event instanceof RunStarted r) {
      return new RunStarted(r.schemaVersion(), id, r.config(), r.startedAtMillis(),
          r.provenance());
    } else {
      RunFinished f = (RunFinished) event;
      return new RunFinished(f.schemaVersion(), id, f.steps(),
          f.finalEvaluation() == null ? null : renamedEvaluation(f.finalEvaluation(), id),
          f.hypergradientSteps(), f.forecastSteps(), f.wallSeconds(), f.hypergradientSeconds(),
          f.failure(), f.finishedAtMillis());
    }
  }

  private static Evaluation renamedEvaluation(Evaluation e, String id) {
    return new Evaluation(e.schemaVersion(), id, e.step(), e.epoch(), e.validationAccuracy(),
        e.validationLoss(), e.testAccuracy(), e.testLoss());
  }
}
