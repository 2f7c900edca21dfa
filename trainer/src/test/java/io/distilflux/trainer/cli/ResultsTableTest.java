package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.Mode;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.Unconstrained;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultsTableTest {

  private static final RunConfig BASE = new RunConfig(RunConfig.DatasetKind.SYNTHETIC, "",
      Mode.FORECAST, 1, 1, 100, 0, "logreg", "logreg", RunConfig.OptimizerKind.SGD, 0.1,
      RunConfig.OptimizerKind.SGD, 1.0, 1.0, 4, 2, new Unconstrained(0, 0, 0), false, 0, 0,
      false);

  @Test
  void gainsArePairedBySeedWithAStudentTInterval() {
    List<ResultsTable.RunResult> runs = new ArrayList<>();
    double[] alone = {0.70, 0.60, 0.80};
    double[] forecast = {0.72, 0.63, 0.81};
    for (int seed = 0; seed < 3; seed++) {
      runs.add(run(Mode.NO_DISTILLATION, seed, alone[seed]));
      runs.add(run(Mode.FORECAST, seed, forecast[seed]));
    }
    runs.add(run(Mode.HYPERGRADIENT, 7, 0.99)); // no partner: not paired
    List<ResultsTable.Gain> gains =
        new ResultsTable(RunConfig.DatasetKind.SYNTHETIC, runs).gains();
    assertEquals(1, gains.size(), gains.toString());
    ResultsTable.Gain g = gains.get(0);
    assertEquals(3, g.pairs());
    assertEquals(0.02, g.mean(), 1e-12);
    // differences 0.02, 0.03, 0.01: sd 0.01, t(0.975, 2) = 4.302653
    double half = 4.302653 * 0.01 / Math.sqrt(3);
    assertEquals(0.02 - half, g.low(), 1e-6);
    assertEquals(0.02 + half, g.high(), 1e-6);
  }

  @Test
  void aSinglePairHasNoInterval() {
    ResultsTable.Gain g = ResultsTable.gain("forecast", List.of(0.05));
    assertEquals(0.05, g.mean(), 0);
    assertTrue(Double.isNaN(g.low()) && Double.isNaN(g.high()));
  }

  @Test
  void thePrintedTableEndsWithTheGains() {
    List<ResultsTable.RunResult> runs = List.of(run(Mode.NO_DISTILLATION, 1, 0.5),
        run(Mode.HYPERGRADIENT, 1, 0.55), run(Mode.NO_DISTILLATION, 2, 0.6),
        run(Mode.HYPERGRADIENT, 2, 0.61));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new ResultsTable(RunConfig.DatasetKind.SYNTHETIC, runs)
        .print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("Gain over no-distillation, paired by seed"), text);
    assertTrue(text.contains("hypergradient          2  +0.0300"), text);
  }

  static ResultsTable.RunResult run(Mode mode, long seed, double accuracy) {
    String id = mode.cliName() + "-" + seed;
    Evaluation e = new Evaluation(Event.CURRENT_SCHEMA_VERSION, id, 100, 1, accuracy, 0.5,
        accuracy, 0.5);
    return new ResultsTable.RunResult(id, BASE.forRun(mode, seed, 100, BASE.initial()),
        new RunFinished(Event.CURRENT_SCHEMA_VERSION, id, 100, e, 0, 0, 1.0, 0.0, null, 0L));
  }
}
