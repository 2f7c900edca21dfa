package io.distilflux.pipeline.record;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
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
}
