package io.distilflux.monitor.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.monitor.TestEvents;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

class ReplaySpeedTest {

  /** RunStarted at 1 000 ms, steps ending at 2 000, 2 000 and 5 000 ms, a hypergradient between. */
  private static List<Event> recorded() {
    return List.of(
        TestEvents.started("r", RunConfig.Mode.FORECAST, 5, 2),
        TestEvents.step("r", 0, Phase.HYPERGRADIENT, 2_000),
        TestEvents.hyperGradient("r", 0, new io.distilflux.pipeline.event.Unconstrained(0, 0, 0)),
        TestEvents.step("r", 1, Phase.HYPERGRADIENT, 2_000),
        TestEvents.step("r", 2, Phase.HYPERGRADIENT, 5_000));
  }

  @Test
  void parsesRecordedMaxAndFactorsAndRejectsTheRest() {
    assertEquals(1.0, ReplaySpeed.parse("recorded").factor());
    assertTrue(ReplaySpeed.parse("MAX").isMax());
    assertEquals(2.5, ReplaySpeed.parse("2.5").factor());
    for (String bad : List.of("0", "-1", "fast", "", "NaN", "Infinity")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ReplaySpeed.parse(bad));
      assertTrue(e.getMessage().startsWith("--speed"), e.getMessage());
    }
  }

  @Test
  void aFactorOfTwoEmitsEachEventAtHalfItsRecordedOffset() {
    List<Event> events = recorded();
    StepVerifier.withVirtualTime(
            () -> ReplaySpeed.parse("2").pace(events, VirtualTimeScheduler.get()))
        .expectSubscription()
        .expectNext(events.get(0))
        .expectNoEvent(Duration.ofMillis(499))
        .thenAwait(Duration.ofMillis(1))
        .expectNext(events.get(1), events.get(2), events.get(3))
        .expectNoEvent(Duration.ofMillis(1_499))
        .thenAwait(Duration.ofMillis(1))
        .expectNext(events.get(4))
        .verifyComplete();
  }

  @Test
  void recordedPaceKeepsTheRecordedGaps() {
    List<Event> events = recorded();
    StepVerifier.withVirtualTime(
            () -> ReplaySpeed.recorded().pace(events, VirtualTimeScheduler.get()))
        .expectSubscription()
        .expectNext(events.get(0))
        .expectNoEvent(Duration.ofMillis(999))
        .thenAwait(Duration.ofMillis(1))
        .expectNextCount(3)
        .expectNoEvent(Duration.ofMillis(2_999))
        .thenAwait(Duration.ofMillis(1))
        .expectNext(events.get(4))
        .verifyComplete();
  }

  @Test
  void maxEmitsEverythingWithoutWaiting() {
    List<Event> events = recorded();
    StepVerifier.withVirtualTime(() -> ReplaySpeed.max().pace(events, VirtualTimeScheduler.get()))
        .expectSubscription()
        .expectNextSequence(events)
        .verifyComplete();
  }
}
