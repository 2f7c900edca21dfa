package io.distilflux.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.RunEvent;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.meta.MetaOptimizerServiceTest;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RunHistoryTest {

  private static final Instant NOW = Instant.ofEpochSecond(1_000_000);
  private static final Duration ALLOWANCE = Duration.ofSeconds(10);

  private static RunStarted started(String run, long atSecond) {
    RunStarted any = MetaOptimizerServiceTest.runStarted(run, OptimizerKind.SGD, 0.1, 1.0);
    return new RunStarted(Event.CURRENT_SCHEMA_VERSION, run, any.config(), atSecond * 1000,
        new Provenance("test", "17", "h", "cpu"));
  }

  private static RunFinished finished(String run, long atSecond) {
    return new RunFinished(Event.CURRENT_SCHEMA_VERSION, run, 10, null, 0, 0, 1, 0, null,
        atSecond * 1000);
  }

  private static RunHistory of(RunEvent... events) {
    RunHistory history = new RunHistory();
    for (RunEvent event : events) {
      history.observe(event);
    }
    return history;
  }

  @Test
  void withNoRunTheHorizonIsNowLessTheAllowance() {
    assertEquals(NOW.minus(ALLOWANCE), new RunHistory().horizon(NOW, NOW, ALLOWANCE));
  }

  @Test
  void endedRunsAreNotReadAndTheEarliestRunningStartIs() {
    RunHistory history = of(started("old", 100), finished("old", 200), started("a", 900_000),
        started("b", 950_000), finished("b", 960_000), started("c", 990_000));
    assertEquals(Instant.ofEpochSecond(900_000).minus(ALLOWANCE),
        history.horizon(NOW, NOW, ALLOWANCE));
    assertEquals(Set.of("old", "b"), history.endedBefore(NOW));
    assertEquals(Set.of("old"), history.endedBefore(Instant.ofEpochSecond(950_000)));
  }

  @Test
  void runsEndedSinceTheGivenTimeAreReadWhole() {
    RunHistory history = of(started("kept", 500_000), finished("kept", 999_500),
        started("gone", 400_000), finished("gone", 900_000));
    Instant keptSince = NOW.minus(Duration.ofMinutes(10));
    assertEquals(Instant.ofEpochSecond(500_000).minus(ALLOWANCE),
        history.horizon(NOW, keptSince, ALLOWANCE));
    assertEquals(Set.of("gone"), history.endedBefore(keptSince));
  }

  @Test
  void aRunResumedAfterItEndedIsReadFromItsFirstStart() {
    RunHistory history = of(started("r", 700_000), finished("r", 800_000), started("r", 990_000));
    assertEquals(Instant.ofEpochSecond(700_000).minus(ALLOWANCE),
        history.horizon(NOW, NOW, ALLOWANCE));
    assertEquals(Set.of(), history.endedBefore(NOW));
  }

  @Test
  void aHorizonBeforeTheEpochIsTheEpoch() {
    assertEquals(Instant.EPOCH, of(started("r", 1)).horizon(NOW, NOW, ALLOWANCE));
  }
}
