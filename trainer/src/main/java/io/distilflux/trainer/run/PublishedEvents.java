package io.distilflux.trainer.run;

import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import java.util.BitSet;
import java.util.function.Predicate;
import reactor.core.publisher.Mono;

/**
 * What an earlier attempt of a run already delivered to the topics, read up to their end
 * offsets: a resumed run recomputes the steps after its checkpoint but does not publish again
 * the step, hypergradient and evaluation events that are already there.
 *
 * <p>Steps are kept as bits, an eighth of a byte a step, so that resuming a run of millions of
 * steps does not hold millions of boxed numbers for its whole life.
 *
 * @param started whether the run's {@code RunStarted} is on the runs topic (the bus holds the
 *     run's history at all)
 * @param steps steps with a {@code TrainingStep}
 * @param hyperGradients steps with a {@code HyperGradient}
 * @param evaluations steps with an {@code Evaluation}
 */
public record PublishedEvents(
    boolean started, Steps steps, Steps hyperGradients, Steps evaluations)
    implements Predicate<Event> {

  /** A set of step numbers in [0, {@link Integer#MAX_VALUE}], thread-safe. */
  public static final class Steps {
    private final BitSet bits = new BitSet();

    /** Adds a step; steps outside the range are not kept (no run has that many). */
    public synchronized void add(long step) {
      if (step >= 0 && step < Integer.MAX_VALUE) {
        bits.set((int) step);
      }
    }

    /** Whether the step is in the set. */
    public synchronized boolean contains(long step) {
      return step >= 0 && step < Integer.MAX_VALUE && bits.get((int) step);
    }

    /** The smallest step ≥ 0 not in the set. */
    public synchronized long firstMissing() {
      return bits.nextClearBit(0);
    }

    /** How many steps the set holds. */
    public synchronized int size() {
      return bits.cardinality();
    }
  }

  /** Nothing published. */
  public static PublishedEvents none() {
    return new PublishedEvents(false, new Steps(), new Steps(), new Steps());
  }

  /** Reads the run's events from the topics of the bus. */
  public static Mono<PublishedEvents> read(EventBus bus, Topics topics, String runId) {
    Steps steps = new Steps();
    Steps hyperGradients = new Steps();
    Steps evaluations = new Steps();
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
    return all.then(started).map(s -> new PublishedEvents(s, steps, hyperGradients,
        evaluations));
  }

  /** The first step without a published {@code TrainingStep}. */
  public long firstMissingStep() {
    return steps.firstMissing();
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
