package io.distilflux.pipeline.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
