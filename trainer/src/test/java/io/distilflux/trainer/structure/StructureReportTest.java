package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The verdicts on the expected effects follow the figures. */
class StructureReportTest {

  private static StructureResults.Curve curve(String rule, double... accuracy) {
    return new StructureResults.Curve(rule, StructureExperiment.ALL_LAYERS, accuracy,
        new double[accuracy.length]);
  }

  private static StructureResults.Pruned pruned(double obdAt90) {
    return new StructureResults.Pruned(new double[] {0.5, 0.9}, 0.97, 100, 1, 0,
        List.of(curve("random", 0.9, 0.5), curve("OBD", 0.95, obdAt90),
            curve("variational", 0.96, 0.9)), List.of(), 1);
  }

  @Test
  void pruningChecksBothTheMarginOverRandomAndTheAgreementOfTheRules() {
    List<StructureReport.Check> holds = StructureReport.checks(
        new StructureResults(pruned(0.88), null, null, null, null));
    // 50 % is below the 70 % where the effect is expected: no check there
    assertEquals(2, holds.size());
    assertTrue(holds.get(0).passed() && holds.get(1).passed(), holds.toString());
    List<StructureReport.Check> close = StructureReport.checks(
        new StructureResults(pruned(0.52), null, null, null, null));
    assertFalse(close.get(0).passed());
    assertTrue(close.get(1).criterion().contains("≈"));
    assertFalse(close.get(1).passed());
    List<StructureReport.Check> apart = StructureReport.checks(
        new StructureResults(pruned(0.8), null, null, null, null));
    assertTrue(apart.get(0).passed());
    assertFalse(apart.get(1).passed());
  }

  @Test
  void freezingHoldsOnlyInTheExpectedOrder() {
    StructureResults.Frozen ordered = frozen(0.95, 0.94, 0.90);
    assertTrue(StructureReport.checks(new StructureResults(null, ordered, null, null, null)).get(0)
        .passed());
    StructureResults.Frozen swapped = frozen(0.93, 0.94, 0.90);
    assertFalse(StructureReport.checks(new StructureResults(null, swapped, null, null, null)).get(0)
        .passed());
  }

  private static StructureResults.Frozen frozen(double lowest, double random, double highest) {
    return new StructureResults.Frozen(1, 0.9, 0.96, 0, 10, 100, 5, List.of(
        new StructureResults.Freeze(Freezing.Order.LOWEST_VARIANCE, 0.5, lowest, 0, 5),
        new StructureResults.Freeze(Freezing.Order.RANDOM, 0.5, random, 0, 5),
        new StructureResults.Freeze(Freezing.Order.HIGHEST_VARIANCE, 0.5, highest, 0, 5)), 1);
  }

  @Test
  void theSearchChecksCompareTheStudentWithTheSupernetAndTheSchedules() {
    StructureResults.Searched close = new StructureResults.Searched(List.of(
        search("annealed", 0.975, 0.968, 0.001), search("fixed", 0.95, 0.93, 0.2)), 1);
    List<StructureReport.Check> checks = StructureReport.checks(
        new StructureResults(null, null, close, null, null));
    assertEquals(3, checks.size());
    assertTrue(checks.get(0).passed(), checks.get(0).toString());
    assertFalse(checks.get(1).passed(), "0.93 is more than 1 % below 0.95");
    assertTrue(checks.get(2).passed(), checks.get(2).toString());
    StructureResults.Searched bothSharp = new StructureResults.Searched(List.of(
        search("annealed", 0.97, 0.97, 0.001), search("fixed", 0.97, 0.97, 0.005)), 1);
    assertFalse(StructureReport.checks(new StructureResults(null, null, bothSharp, null, null))
        .get(2).passed());
  }

  private static StructureResults.Search search(String schedule, double supernet,
      double student, double vertexDistance) {
    return new StructureResults.Search(schedule, 1, schedule.equals("fixed") ? 1 : 0.1,
        new double[5], new int[] {0, 0}, "784-100-10", 1000, 500, supernet, vertexDistance,
        student - 0.01, student, 1, 1, "{}");
  }

  @Test
  void theEnumerationHoldsWithNMinusOneDistinctStructuresOfN() {
    StructureResults.Enumerated five = enumerated(new int[][] {{0, 1}, {2, 0}, {1, 1}, {0, 0},
        {2, 1}, {0, 1}});
    assertEquals(5, five.distinct());
    List<StructureReport.Check> holds = StructureReport.checks(
        new StructureResults(null, null, null, five, null));
    assertEquals(1, holds.size());
    assertEquals("enumeration: at least 5 distinct structures in 6 searches",
        holds.get(0).criterion());
    assertTrue(holds.get(0).passed(), holds.get(0).toString());
    StructureResults.Enumerated four = enumerated(new int[][] {{0, 1}, {2, 0}, {0, 1}, {0, 0},
        {2, 1}, {2, 0}});
    assertFalse(StructureReport.checks(new StructureResults(null, null, null, four, null)).get(0)
        .passed());
    assertTrue(four.runs().get(1).isNew(four.runs().subList(0, 1)));
    assertFalse(four.runs().get(2).isNew(four.runs().subList(0, 2)));
  }

  @Test
  void thePriorChecksReadTheRunsByIncreasingCPrior() {
    // listed out of order: the checks sort by c_prior
    StructureResults.PriorSweep ordered = sweep(new double[][] {{10, 10, 500}, {0.1, 100, 900},
        {1, 100, 800}});
    List<StructureReport.Check> holds = StructureReport.checks(
        new StructureResults(null, null, null, null, ordered));
    assertEquals(2, holds.size());
    assertTrue(holds.get(0).passed(), holds.get(0).toString());
    assertTrue(holds.get(1).passed(), holds.get(1).toString());
    assertTrue(holds.get(1).detail().startsWith("c_prior 0.1: 900, c_prior 1: 800"),
        holds.get(1).detail());
    StructureResults.PriorSweep wider = sweep(new double[][] {{0.1, 50, 900}, {1, 100, 800}});
    assertFalse(StructureReport.checks(new StructureResults(null, null, null, null, wider))
        .get(0).passed());
    StructureResults.PriorSweep flat = sweep(new double[][] {{0.1, 100, 900}, {1, 100, 900}});
    List<StructureReport.Check> same = StructureReport.checks(
        new StructureResults(null, null, null, null, flat));
    assertTrue(same.get(0).passed(), "equal widths do not increase");
    assertFalse(same.get(1).passed(), "an equal C_param does not fall");
  }

  /** Runs of {c_prior, expected width, C_param}. */
  private static StructureResults.PriorSweep sweep(double[][] runs) {
    List<StructureResults.PriorRun> list = new java.util.ArrayList<>();
    for (double[] r : runs) {
      list.add(new StructureResults.PriorRun(r[0], new double[5], new int[] {0, 0},
          "784-100-10", 100, r[1], r[2], r[2], 0.05, 0.9, 0.9, 1));
    }
    return new StructureResults.PriorSweep(2, 1, list, 1);
  }

  private static StructureResults.Enumerated enumerated(int[][] choices) {
    List<StructureResults.Enumeration> runs = new java.util.ArrayList<>();
    for (int[] c : choices) {
      runs.add(new StructureResults.Enumeration(runs.size() + 1, new double[5], c,
          "784-" + c[0] + "-" + c[1], 100, new double[runs.size()], 0.9, 0.9, 1));
    }
    return new StructureResults.Enumerated(20_000, 6, runs, 1);
  }
}
