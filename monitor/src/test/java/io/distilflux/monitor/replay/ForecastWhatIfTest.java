package io.distilflux.monitor.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.record.RecordedRun;
import org.junit.jupiter.api.Test;

class ForecastWhatIfTest {

  @Test
  void theRunsOwnMiniEpochAndPeriodReproduceTheRecordedLinesWithZeroError() {
    RecordedRun run = SyntheticRecording.randomWalk("walk", 1_000, 10, 3, 11);
    ForecastWhatIf.Error error = ForecastWhatIf.evaluate(run, 10, 3);
    assertEquals(34, error.periods(), "ceil(1000 / 30) periods");
    assertEquals(0, error.skippedPeriods());
    assertTrue(error.comparedSteps() > 600, "forecast steps compared: " + error.comparedSteps());
    for (int i = 0; i < 3; i++) {
      assertEquals(0.0, error.rmsB()[i], "rms b" + (i + 1));
      assertEquals(0.0, error.maxB()[i], "max b" + (i + 1));
      assertEquals(0.0, error.rmsLambda()[i], "rms λ " + i);
      assertEquals(0.0, error.maxLambda()[i], "max λ " + i);
    }
  }

  @Test
  void anotherMiniEpochOnAForecastRunIsComparedWithTheRecordedLines() {
    RecordedRun run = SyntheticRecording.randomWalk("walk", 1_000, 10, 3, 11);
    ForecastWhatIf.Error error = ForecastWhatIf.evaluate(run, 5, 2);
    assertTrue(error.comparedSteps() > 0);
    assertTrue(error.maxB()[0] > 0, "a different fit cannot match the recorded lines exactly");
  }

  /**
   * b1(t) = t² sampled at every step: the line through (P, P²) and (P + 1, (P + 1)²) misses
   * (P + 2)² by 2 and (P + 3)² by 6 in every period, so RMS = √((4 + 36)/2) = √20, max 6; the
   * linear b2 and the constant b3 are forecast exactly.
   */
  @Test
  void aQuadraticTrajectoryMissesByItsSecondOrderTerm() {
    RecordedRun run = SyntheticRecording.run("quad", RunConfig.Mode.HYPERGRADIENT, 40, 2, 2, 10,
        t -> new Unconstrained(t * (double) t, 0.5 * t - 3, 1.25));
    ForecastWhatIf.Error error = ForecastWhatIf.evaluate(run, 2, 2);
    assertEquals(10, error.periods());
    assertEquals(20, error.comparedSteps());
    assertEquals(Math.sqrt(20), error.rmsB()[0], 1e-9);
    assertEquals(6.0, error.maxB()[0], 1e-9);
    assertEquals(0.0, error.maxB()[1], 1e-12);
    assertEquals(0.0, error.maxB()[2], 0.0);
    assertEquals(0.5, error.savedShare());
  }

  @Test
  void aRunWithoutHypergradientsAndBadSettingsAreRejectedOnOneLine() {
    RecordedRun fixed = new RecordedRun("fixed", java.util.List.<Event>of(
        io.distilflux.monitor.TestEvents.started("fixed", RunConfig.Mode.FIXED, 10, 2)));
    IllegalArgumentException none =
        assertThrows(IllegalArgumentException.class, () -> ForecastWhatIf.evaluate(fixed, 10, 2));
    assertTrue(none.getMessage().contains("no hypergradient trajectory (mode fixed)"),
        none.getMessage());
    RecordedRun run = SyntheticRecording.randomWalk("walk", 100, 10, 2, 1);
    assertThrows(IllegalArgumentException.class, () -> ForecastWhatIf.evaluate(run, 1, 2));
    assertThrows(IllegalArgumentException.class, () -> ForecastWhatIf.evaluate(run, 10, 1));
  }
}
