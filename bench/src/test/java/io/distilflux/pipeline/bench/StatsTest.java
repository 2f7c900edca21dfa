package io.distilflux.pipeline.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {

  @Test
  void medianOfAnOddCountIsTheMiddleValue() {
    assertEquals(3.0, Stats.median(5.0, 1.0, 3.0));
  }

  @Test
  void medianOfAnEvenCountIsTheMeanOfTheTwoMiddleValues() {
    assertEquals(2.5, Stats.median(List.of(4, 1, 3, 2)));
  }

  @Test
  void medianLeavesItsInputUnsorted() {
    double[] values = {3, 1, 2};
    Stats.median(values);
    assertArrayEquals(new double[] {3, 1, 2}, values);
  }

  @Test
  void percentileIsNearestRank() {
    double[] values = new double[100];
    for (int i = 0; i < values.length; i++) {
      values[i] = 100 - i; // 100 … 1
    }
    assertEquals(99.0, Stats.percentile(values, 0.99));
    assertEquals(50.0, Stats.percentile(values, 0.5));
    assertEquals(1.0, Stats.percentile(values, 0));
    assertEquals(100.0, Stats.percentile(values, 1));
  }

  @Test
  void emptyInputGivesNaNAndABadFractionIsRejected() {
    assertTrue(Double.isNaN(Stats.median()));
    assertTrue(Double.isNaN(Stats.min()));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Stats.percentile(new double[] {1}, 99));
    assertTrue(e.getMessage().contains("[0, 1]"), e.getMessage());
  }

  @Test
  void medianIntervalOfTenValuesIsTheSecondSmallestToTheSecondLargest() {
    double[] values = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
    Stats.Interval interval = Stats.medianInterval(values, 0.95).orElseThrow();
    assertEquals(2.0, interval.low());
    assertEquals(9.0, interval.high());
    // 1 - 2 (C(10,0) + C(10,1)) / 2^10
    assertEquals(1 - 2 * 11 / 1024.0, interval.coverage(), 1e-12);
  }

  @Test
  void medianIntervalOfThirtyValuesIsTheTenthSmallestToTheTenthLargest() {
    double[] values = new double[30];
    for (int i = 0; i < values.length; i++) {
      values[i] = 30 - i; // 30 … 1
    }
    Stats.Interval interval = Stats.medianInterval(values, 0.95).orElseThrow();
    assertEquals(10.0, interval.low());
    assertEquals(21.0, interval.high());
    // P(Binomial(30, 1/2) <= 9) = 0.021387…; the next narrower one would cover only 0.901
    assertEquals(1 - 2 * 0.0213869, interval.coverage(), 1e-6);
  }

  @Test
  void medianIntervalNeedsSixValuesAtNinetyFivePercent() {
    assertFalse(Stats.medianInterval(new double[] {1, 2, 3, 4, 5}, 0.95).isPresent());
    Stats.Interval six = Stats.medianInterval(new double[] {6, 5, 4, 3, 2, 1}, 0.95).orElseThrow();
    assertEquals(1.0, six.low());
    assertEquals(6.0, six.high());
    assertEquals(1 - 2 / 64.0, six.coverage(), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> Stats.medianInterval(new double[] {1}, 1));
  }
}
