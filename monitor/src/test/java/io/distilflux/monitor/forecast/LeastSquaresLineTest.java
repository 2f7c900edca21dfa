package io.distilflux.monitor.forecast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LeastSquaresLineTest {

  private static final double EPS = 1e-12;

  @Test
  void onePointGivesAFlatLineThroughIt() {
    LeastSquaresLine line = LeastSquaresLine.fit(new double[] {2}, new double[] {7});
    assertEquals(0, line.slope(), EPS);
    assertEquals(7, line.intercept(), EPS);
    assertEquals(0, line.residual(), EPS);
    assertEquals(1, line.points());
  }

  @Test
  void twoPointsGiveTheLineThroughBoth() {
    LeastSquaresLine line = LeastSquaresLine.fit(new double[] {0, 1}, new double[] {2, 5});
    assertEquals(3, line.slope(), EPS);
    assertEquals(2, line.intercept(), EPS);
    assertEquals(0, line.residual(), EPS);
  }

  @Test
  void constantValuesGiveZeroSlopeAndZeroResidual() {
    LeastSquaresLine line =
        LeastSquaresLine.fit(new double[] {0, 1, 2, 3}, new double[] {-1.3, -1.3, -1.3, -1.3});
    assertEquals(0, line.slope(), EPS);
    assertEquals(-1.3, line.intercept(), EPS);
    assertEquals(0, line.residual(), EPS);
  }

  @Test
  void pointsOnALineAreRecoveredExactly() {
    double[] z = {0, 1, 2, 3, 4};
    double[] y = {0.5, 0.25, 0.0, -0.25, -0.5};
    LeastSquaresLine line = LeastSquaresLine.fit(z, y);
    assertEquals(-0.25, line.slope(), EPS);
    assertEquals(0.5, line.intercept(), EPS);
    assertEquals(0, line.residual(), EPS);
    assertEquals(-1.0, line.at(6), EPS);
  }

  @Test
  void noisyPointsGiveTheHandComputedFit() {
    // Means 1.5 and 2.75; Szz = 5, Szy = 5.5, so slope 1.1 and intercept 2.75 − 1.1·1.5 = 1.1.
    // Residuals −0.1, 0.8, −1.3, 0.6: mean square 2.7 / 4 = 0.675.
    LeastSquaresLine line =
        LeastSquaresLine.fit(new double[] {0, 1, 2, 3}, new double[] {1, 3, 2, 5});
    assertEquals(1.1, line.slope(), EPS);
    assertEquals(1.1, line.intercept(), EPS);
    assertEquals(Math.sqrt(0.675), line.residual(), EPS);
  }

  @Test
  void orderOfThePointsDoesNotMatter() {
    LeastSquaresLine line =
        LeastSquaresLine.fit(new double[] {3, 0, 2, 1}, new double[] {5, 1, 2, 3});
    assertEquals(1.1, line.slope(), EPS);
    assertEquals(1.1, line.intercept(), EPS);
  }

  @Test
  void badInputIsRejectedWithTheCulprit() {
    assertThrows(
        IllegalArgumentException.class,
        () -> LeastSquaresLine.fit(new double[0], new double[0]));
    assertThrows(
        IllegalArgumentException.class,
        () -> LeastSquaresLine.fit(new double[] {0, 1}, new double[] {1}));
    IllegalArgumentException nan =
        assertThrows(
            IllegalArgumentException.class,
            () -> LeastSquaresLine.fit(new double[] {0, 1}, new double[] {1, Double.NaN}));
    assertTrue(nan.getMessage().contains("point 1"), nan.getMessage());
  }
}
