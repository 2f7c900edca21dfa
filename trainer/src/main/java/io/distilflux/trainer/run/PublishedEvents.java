package io.distilflux.trainer.run;

import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.Predicate;
import reactor.core.publisher.Mono;

/**
 * What an earlier attempt of a run already delivered to the topics, read up to their end
 * offsets: a resumed run recomputes the steps after its checkpoint but does not publish again
 * the step, hypergradient and evaluation events that are already there.
 *
 * @param started whether the run's {@code RunStarted} is on the runs topic (the bus holds the
 *     run's history at all)
 * @param steps steps with a {@code TrainingStep}
 * @param hyperGradients steps with a {@code HyperGradient}
 * @param evaluations steps with an {@code Evaluation}
 */
public record PublishedEvents(
    boolean started, Set<Long> steps, Set<Long> hyperGradients, Set<Long> evaluations)
    implements Predicate<Event> {

  /** Nothing published. */
  public static PublishedEvents none() {
    return new PublishedEvents(false, Set.of(), Set.of(), Set.of());
  }

  /** Reads the run's events from the topics of the bus. */
  public static Mono<PublishedEvents> read(EventBus bus, Topics topics, String runId) {
    Set<Long> steps = new ConcurrentSkipListSet<>();
    Set<Long> hyperGradients = new ConcurrentSkipListSet<>();
    Set<Long> evaluations = new ConcurrentSkipListSet<>();
    Mono<Boolean> started = bus.replay(topics.runs())
        .filter(e -> e instanceof RunStarted && e.runId().equals(runId))
        .hasElements();
    Mono<Void> all = Mono.when(
        bus.replay(topics.steps()).filter(e -> e.runId().equals(runId))
            .doOnNext(e -> steps.add(e.step())),
        bus.replay(topics.hyperGradients()).filter(e -> e.runId().equals(runId))
            .doOnNext(e -> hyperGradients.add(e.step())),
        bus.replay(topics.evaluations()).filter(e -> e.runId().equals(runId))
            .doOnNext(e -> evaluations.add(e.step())));
    return all.then(started).map(s -> new PublishedEvents(s, new TreeSet<>(steps),
        new TreeSet<>(hyperGradients), new TreeSet<>(evaluations)));
  }

  /** The first step without a published {@code TrainingStep}. */
  public long firstMissingStep() {
    long next = 0;
    while (steps.contains(next)) {
      next++;
    }
    return next;
  }

  /** Whether this event is already on its topic. */
  @Override
  public boolean test(Event event) {
    if (event instanceof TrainingStep s) {
      return steps.contains(s.step());
    }
    if (event instanceof HyperGradient h) {
      return hyperGradients.contains(h.step());
    }
    if (event instanceof Evaluation e) {
      return evaluations.contains(e.step());
    }
    return false;
  }
}
