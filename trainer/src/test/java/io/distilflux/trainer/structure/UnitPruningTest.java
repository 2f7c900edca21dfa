package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.VariationalMlp;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Cutting hidden units out of a network into a smaller dense one. */
class UnitPruningTest {

  private final VariationalMlp network = new VariationalMlp(6, 5, 4, 3);
  private final SplittableRandom random = new SplittableRandom(21);
  private final double[] mu = TestExamples.gaussian(network.parameterCount(), 0.6, 0.1, random);
  private final double[] rho = TestExamples.gaussian(network.parameterCount(), 0.3, -2, random);

  @Test
  void theSmallerNetworkComputesTheSameOutputsAsTheMaskedLargeOne() {
    int[][] kept = {{0, 2, 3}, {1, 3}};
    UnitPruning.Student student = UnitPruning.keep(network, mu, rho, kept);
    assertArrayEquals(new int[] {6, 3, 2}, new int[] {student.network().inputWidth(0),
        student.network().outputWidth(0), student.network().outputWidth(1)});
    assertTrue(student.network().parameterCount() < network.parameterCount());
    double[] masked = UnitPruning.mask(network, mu, kept);
    Examples data = TestExamples.clusters(12, 6, 3, 4);
    int[] order = IntStream.range(0, 12).toArray();
    VariationalMlp.Buffers large = network.buffers(12);
    VariationalMlp.Buffers small = student.network().buffers(12);
    data.copyRows(order, 0, 12, large.input());
    data.copyRows(order, 0, 12, small.input());
    network.meanForward(masked, large, 12);
    student.network().meanForward(student.mu(), small, 12);
    for (int k = 0; k < 12 * 3; k++) {
      assertEquals(large.logits()[k], small.logits()[k], 1e-12, "logit " + k);
    }
  }

  @Test
  void theSmallerNetworkKeepsTheVariancesOfTheKeptWeights() {
    UnitPruning.Student student = UnitPruning.keep(network, mu, rho, new int[][] {{4}, {0}});
    // layer 0: input i → unit 4; the student's column 0
    for (int i = 0; i < 6; i++) {
      assertEquals(rho[i * 5 + 4], student.rho()[i]);
    }
    // output layer: unit 0 of the second hidden layer → class c
    int from = network.weightOffset(2);
    int to = student.network().weightOffset(2);
    for (int c = 0; c < 3; c++) {
      assertEquals(mu[from + c], student.mu()[to + c]);
    }
  }

  @Test
  void aUnitsScoreSumsItsInAndOutWeights() {
    double[] scores = new double[network.parameterCount()];
    // one in-weight of unit 2 of the first hidden layer, one out-weight, and a bias (ignored)
    scores[1 * 5 + 2] = 1.5;
    scores[network.weightOffset(1) + 2 * 4 + 3] = 2.0;
    scores[network.weightCount(0) + 2] = 100;
    double[][] units = UnitPruning.unitScores(network, scores);
    assertEquals(3.5, units[0][2]);
    assertEquals(2.0, units[1][3]);
    assertArrayEquals(new int[] {2}, UnitPruning.best(units[0], 1));
  }

  @Test
  void randomUnitsAreReproducibleForASeed() {
    assertArrayEquals(UnitPruning.random(100, 10, 3), UnitPruning.random(100, 10, 3));
  }

  @Test
  void unorderedOrOutOfRangeUnitsAreRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> UnitPruning.keep(network, mu, rho, new int[][] {{2, 1}, {0}}));
    assertThrows(IllegalArgumentException.class,
        () -> UnitPruning.keep(network, mu, rho, new int[][] {{5}, {0}}));
  }
}
