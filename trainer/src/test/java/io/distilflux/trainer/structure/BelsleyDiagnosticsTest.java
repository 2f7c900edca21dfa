package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Belsley's diagnostics on the illustration of docs/structure.md §1: the correlation matrix of
 * w(x) = [sin x, cos x, 2 + cos x, 2 + sin x, cos x + sin x, x] at x = 0, 0.02, …, 20.
 */
class BelsleyDiagnosticsTest {

  private static double[][] sixSeriesCorrelation() {
    int n = 1001;
    double[][] series = new double[6][n];
    for (int t = 0; t < n; t++) {
      double x = 0.02 * t;
      series[0][t] = Math.sin(x);
      series[1][t] = Math.cos(x);
      series[2][t] = 2 + Math.cos(x);
      series[3][t] = 2 + Math.sin(x);
      series[4][t] = Math.cos(x) + Math.sin(x);
      series[5][t] = x;
    }
    double[][] centred = new double[6][n];
    for (int i = 0; i < 6; i++) {
      double mean = 0;
      for (double v : series[i]) {
        mean += v / n;
      }
      for (int t = 0; t < n; t++) {
        centred[i][t] = series[i][t] - mean;
      }
    }
    double[][] r = new double[6][6];
    for (int i = 0; i < 6; i++) {
      for (int j = 0; j < 6; j++) {
        double sij = 0;
        double sii = 0;
        double sjj = 0;
        for (int t = 0; t < n; t++) {
          sij += centred[i][t] * centred[j][t];
          sii += centred[i][t] * centred[i][t];
          sjj += centred[j][t] * centred[j][t];
        }
        r[i][j] = sij / Math.sqrt(sii * sjj);
      }
    }
    return r;
  }

  @Test
  void theSixSeriesHaveThreeModerateAndThreeNumericallyNullComponents() {
    BelsleyDiagnostics d = BelsleyDiagnostics.of(sixSeriesCorrelation());
    double[] expected = {1.00, 1.55, 3.32};
    for (int j = 0; j < 3; j++) {
      assertEquals(expected[j], d.conditionIndices()[j], 0.01 * expected[j], "η" + (j + 1));
    }
    for (int j = 3; j < 6; j++) {
      assertTrue(d.conditionIndices()[j] > 1e12, "η" + (j + 1) + " = "
          + d.conditionIndices()[j]);
    }
  }

  @Test
  void theCollinearSeriesLoadOnTheNullComponentsAndTheLineOnTheThird() {
    double[][] q = BelsleyDiagnostics.of(sixSeriesCorrelation()).proportions();
    for (int i = 0; i < 6; i++) {
      double nullShare = q[3][i] + q[4][i] + q[5][i];
      if (i < 5) {
        assertTrue(nullShare >= 0.99, "q" + (i + 1) + " on components 4–6: " + nullShare);
      } else {
        assertTrue(nullShare <= 1e-6, "q6 on components 4–6: " + nullShare);
      }
    }
    // x's variance sits on the moderate components, mostly the third (3.6e-4, 3.2e-2, 0.968)
    assertEquals(3.6e-4, q[0][5], 0.1e-4);
    assertEquals(3.2e-2, q[1][5], 0.1e-2);
    assertEquals(0.968, q[2][5], 0.001);
  }

  @Test
  void proportionsOfEachParameterSumToOne() {
    double[][] a = {{4, 1, 0.5}, {1, 3, 0.2}, {0.5, 0.2, 2}};
    double[][] q = BelsleyDiagnostics.of(a).proportions();
    for (int i = 0; i < 3; i++) {
      double sum = 0;
      for (double[] component : q) {
        sum += component[i];
      }
      assertEquals(1.0, sum, 1e-12);
    }
  }

  @Test
  void aNonPositiveDiagonalIsRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> BelsleyDiagnostics.of(new double[][] {{1, 0}, {0, 0}}));
  }
}
