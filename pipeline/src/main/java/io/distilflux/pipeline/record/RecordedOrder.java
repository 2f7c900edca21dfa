package io.distilflux.pipeline.record;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.StructureChosen;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import java.util.ArrayList;
import java.util.List;

/**
 * The order of one run's events across topics. Kafka orders a run's events within each topic
 * only; the topics are interleaved here by the step each event belongs to, as the run produced
 * them: {@code MetaParams(v)} before step v, step t, its hypergradient, a forecast after the
 * last step of its fitting window, the evaluation after step t; {@code RunStarted} first and
 * {@code RunFinished} last. The merge never reorders events of one topic.
 */
final class RecordedOrder {

  private RecordedOrder() {}

  /** Merges per-topic sequences, each kept in its own order. */
  static List<Event> merge(List<List<Event>> perTopic) {
    int total = perTopic.stream().mapToInt(List::size).sum();
    List<Event> merged = new ArrayList<>(total);
    int[] next = new int[perTopic.size()];
    while (merged.size() < total) {
      int best = -1;
      long bestStep = 0;
      int bestRank = 0;
      for (int i = 0; i < perTopic.size(); i++) {
        if (next[i] >= perTopic.get(i).size()) {
          continue;
        }
        Event head = perTopic.get(i).get(next[i]);
        long step = step(head);
        int rank = rank(head);
        if (best < 0 || step < bestStep || (step == bestStep && rank < bestRank)) {
          best = i;
          bestStep = step;
          bestRank = rank;
        }
      }
      merged.add(perTopic.get(best).get(next[best]++));
    }
    return merged;
  }

  /** The step after which the event was produced. */
  private static long step(Event event) {
    if (event instanceof TrainingStep s) {
      return s.step();
    } else if (event instanceof HyperGradient h) {
      return h.step();
    } else if (event instanceof MetaParams m) {
      return m.version() - 1;
    } else if (event instanceof TrajectoryForecast f) {
      return f.fromStep() - 1;
    } else if (event instanceof Evaluation e) {
      return e.step();
    } else if (event instanceof StructureChosen c) {
      return c.step();
    } else if (event instanceof RunStarted) {
      return Long.MIN_VALUE;
    }
    return Long.MAX_VALUE;
  }

  /** Order among events of the same step. */
  private static int rank(Event event) {
    if (event instanceof TrainingStep) {
      return 0;
    } else if (event instanceof HyperGradient) {
      return 1;
    } else if (event instanceof MetaParams) {
      return 2;
    } else if (event instanceof TrajectoryForecast) {
      return 3;
    }
    return 4;
  }
}
