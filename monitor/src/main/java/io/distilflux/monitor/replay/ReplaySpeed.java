package io.distilflux.monitor.replay;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * How fast a replay re-drives a run: at the recorded pace ({@code factor} 1), a multiple of it,
 * or as fast as possible ({@code factor} infinite).
 *
 * <p>The recorded pace comes from the events' own clocks: {@code RunStarted.startedAtMillis},
 * {@code TrainingStep.timestampMillis} (the end of the step) and
 * {@code RunFinished.finishedAtMillis}; the events between two of these go out with the
 * earlier one.
 *
 * @param factor recorded seconds per replayed second; positive, infinite for "max"
 */
public record ReplaySpeed(double factor) {

  /** Validates the factor. */
  public ReplaySpeed {
    if (!(factor > 0)) {
      throw new IllegalArgumentException("replay speed factor must be > 0, got " + factor);
    }
  }

  /** The recorded pace. */
  public static ReplaySpeed recorded() {
    return new ReplaySpeed(1);
  }

  /** As fast as possible. */
  public static ReplaySpeed max() {
    return new ReplaySpeed(Double.POSITIVE_INFINITY);
  }

  /**
   * Parses {@code recorded}, {@code max} or a positive factor such as {@code 10} or {@code 0.5}.
   *
   * @throws IllegalArgumentException naming {@code --speed} when the text is none of these
   */
  public static ReplaySpeed parse(String text) {
    String value = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    switch (value) {
      case "recorded":
        return recorded();
      case "max":
        return max();
      default:
        double factor;
        try {
          factor = Double.parseDouble(value);
        } catch (NumberFormatException e) {
          factor = Double.NaN;
        }
        if (!(factor > 0) || Double.isInfinite(factor)) {
          throw new IllegalArgumentException(
              "--speed must be recorded, max or a factor > 0, got '" + text + "'");
        }
        return new ReplaySpeed(factor);
    }
  }

  /** Whether events go out without any wait. */
  public boolean isMax() {
    return Double.isInfinite(factor);
  }

  /**
   * The events at this pace: each is emitted once its recorded offset from the first
   * timestamp, divided by the factor, has elapsed on {@code clock} since subscription.
   */
  public Flux<Event> pace(List<Event> events, Scheduler clock) {
    if (isMax()) {
      return Flux.fromIterable(events);
    }
    long[] offsets = recordedOffsetsMillis(events);
    return Flux.defer(() -> {
      long start = clock.now(TimeUnit.NANOSECONDS);
      return Flux.range(0, events.size()).concatMap(i -> {
        long due = start + Math.round(offsets[i] * 1e6 / factor);
        long wait = due - clock.now(TimeUnit.NANOSECONDS);
        Event event = events.get(i);
        return wait > 0
            ? Mono.delay(Duration.ofNanos(wait), clock).thenReturn(event)
            : Mono.just(event);
      }, 1);
    });
  }

  /** Milliseconds of each event after the first recorded timestamp, never decreasing. */
  static long[] recordedOffsetsMillis(List<Event> events) {
    long[] offsets = new long[events.size()];
    long first = Long.MIN_VALUE;
    long current = 0;
    for (int i = 0; i < offsets.length; i++) {
      long stamp = timestamp(events.get(i));
      if (stamp > 0) {
        if (first == Long.MIN_VALUE) {
          first = stamp;
        }
        current = Math.max(current, stamp - first);
      }
      offsets[i] = current;
    }
    return offsets;
  }

  private static long timestamp(Event event) {
    if (event instanceof TrainingStep s) {
      return s.timestampMillis();
    } else if (event instanceof RunStarted r) {
      return r.startedAtMillis();
    } else if (event instanceof RunFinished f) {
      return f.finishedAtMillis();
    }
    return 0;
  }

  @Override
  public String toString() {
    return isMax() ? "max" : factor == 1 ? "recorded" : factor + "x";
  }
}
