package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Belsley rule removes the parameters caught in a near-dependence first. */
class BelsleyPruningTest {

  /** XᵀX of four columns: 0 and 2 nearly equal, 1 and 3 independent. */
  private static double[][] nearlyCollinear() {
    SplittableRandom random = new SplittableRandom(3);
    int n = 200;
    double[][] x = new double[n][4];
    for (double[] row : x) {
      row[0] = random.nextGaussian();
      row[1] = random.nextGaussian();
      row[2] = row[0] + 1e-3 * random.nextGaussian();
      row[3] = random.nextGaussian();
    }
    double[][] a = new double[4][4];
    for (double[] row : x) {
      for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
          a[i][j] += row[i] * row[j];
        }
      }
    }
    return a;
  }

  @Test
  void aParameterOfTheNearDependenceGoesFirst() {
    int[] parameters = {10, 11, 12, 13};
    int[] order = new BelsleyPruning(nearlyCollinear(), parameters, 0.25)
        .removalOrder(parameters);
    assertTrue(order[0] == 10 || order[0] == 12, Arrays.toString(order));
    int[] sorted = order.clone();
    Arrays.sort(sorted);
    assertArrayEquals(parameters, sorted);
  }

  @Test
  void parametersThatAreNoCandidatesStayAndAreNeverRemoved() {
    int[] parameters = {10, 11, 12, 13};
    int[] order = new BelsleyPruning(nearlyCollinear(), parameters, 0.5)
        .removalOrder(new int[] {11, 12, 13});
    assertEquals(3, order.length);
    // 10 stays in the matrix, so 12 is still its near-copy and goes first
    assertEquals(12, order[0]);
  }

  @Test
  void aCandidateOutsideTheMatrixIsRejected() {
    BelsleyPruning rule = new BelsleyPruning(nearlyCollinear(), new int[] {0, 1, 2, 3}, 0.5);
    assertThrows(IllegalArgumentException.class, () -> rule.removalOrder(new int[] {4}));
  }
}
