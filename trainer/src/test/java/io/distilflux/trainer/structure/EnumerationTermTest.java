package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The enumeration term: the KL between structure distributions, its clip and its gradient. */
class EnumerationTermTest {

  private final Supernet net = Supernet.standard(4, 3);

  @Test
  void theKlGradientMatchesCentralDifferences() {
    SplittableRandom random = new SplittableRandom(5);
    double[] at = TestExamples.gaussian(5, 1.5, 0, random);
    // three distributions in P, one so far from q that its KL is clipped
    double[] near = TestExamples.gaussian(5, 1.0, 0, random);
    double[] other = TestExamples.gaussian(5, 2.0, 0, random);
    double[] far = {-12, 0, 12, 15, -15};
    EnumerationTerm term = new EnumerationTerm(net, List.of(near, other, far), -1, 10);
    assertTrue(EnumerationTerm.kl(net, at, far) > 10, "the far one is clipped");
    assertTrue(EnumerationTerm.kl(net, at, near) < 10 && EnumerationTerm.kl(net, at, other) < 10);
    double[] gradient = new double[5];
    term.addGradient(at, gradient);
    double eps = 1e-5;
    for (int j = 0; j < at.length; j++) {
      double[] plus = at.clone();
      double[] minus = at.clone();
      plus[j] += eps;
      minus[j] -= eps;
      double numeric = (term.value(plus) - term.value(minus)) / (2 * eps);
      assertEquals(numeric, gradient[j], 1e-8, "logit " + j);
    }
    assertNotEquals(0.0, gradient[0]);
  }

  @Test
  void theGradientIsAddedToWhatIsThereAndScaledByTheWeight() {
    double[] at = {0.3, -0.2, 0.1, 0.4, -0.4};
    double[] found = {1, 0, -1, -0.5, 0.5};
    double[] repelled = {1, 1, 1, 1, 1};
    EnumerationTerm.repulsion(net, List.<double[]>of(found)).addGradient(at, repelled);
    double[] attracted = new double[5];
    new EnumerationTerm(net, List.<double[]>of(found), 2, 10).addGradient(at, attracted);
    for (int j = 0; j < at.length; j++) {
      assertEquals(-(repelled[j] - 1) * 2, attracted[j], 1e-12, "logit " + j);
    }
  }

  @Test
  void theKlOfTheEdgesIsTheKlOfTheSixStructures() {
    // the structure distribution is the product of the edges' categoricals
    double[] q = {0.7, -0.3, 0.2, 1.1, -0.4};
    double[] p = {-1.0, 0.5, 0.9, 0.0, 0.8};
    double[] q0 = softmax(q[0], q[1], q[2]);
    double[] q1 = softmax(q[3], q[4]);
    double[] p0 = softmax(p[0], p[1], p[2]);
    double[] p1 = softmax(p[3], p[4]);
    double direct = 0;
    for (int h = 0; h < 3; h++) {
      for (int d = 0; d < 2; d++) {
        double qs = q0[h] * q1[d];
        direct += qs * Math.log(qs / (p0[h] * p1[d]));
      }
    }
    assertEquals(direct, EnumerationTerm.kl(net, q, p), 1e-12);
    assertEquals(0, EnumerationTerm.kl(net, q, q), 1e-15);
    // a shift of one edge's logits leaves its distribution as it is
    double[] shifted = {1.7, 0.7, 1.2, -2.9, -4.4};
    assertEquals(0, EnumerationTerm.kl(net, q, shifted), 1e-12);
  }

  @Test
  void repulsionMovesTheSearchAwayFromTheStructureFoundFirst() {
    Supernet small = new Supernet(12, new int[] {4, 16}, new boolean[] {false, true}, 8, 6);
    var train = TestExamples.clusters(600, 12, 6, 21);
    var validation = TestExamples.clusters(200, 12, 6, 22);
    SupernetSearch.Settings settings = new SupernetSearch.Settings(1, 32, 1e-2, 5e-2, 1.0, 0.1,
        3);
    SupernetSearch.Outcome first = new SupernetSearch(small, settings).run(train, validation);
    SupernetSearch.Outcome again = new SupernetSearch(small, settings,
        EnumerationTerm.repulsion(small, List.of())).run(train, validation);
    assertArrayEquals(first.logAlpha(), again.logAlpha(), 0.0, "an empty P changes nothing");
    SupernetSearch.Outcome second = new SupernetSearch(small, settings,
        EnumerationTerm.repulsion(small, List.of(first.logAlpha()))).run(train, validation);
    assertTrue(EnumerationTerm.kl(small, second.logAlpha(), first.logAlpha()) > 1,
        "KL " + EnumerationTerm.kl(small, second.logAlpha(), first.logAlpha()));
    assertNotEquals(List.of(first.choice()[0], first.choice()[1]),
        List.of(second.choice()[0], second.choice()[1]));
  }

  @Test
  void badSizesAndWeightsAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> EnumerationTerm.repulsion(net, List.of(new double[4])));
    assertThrows(IllegalArgumentException.class,
        () -> new EnumerationTerm(net, List.of(), -1, 0));
    assertThrows(IllegalArgumentException.class,
        () -> EnumerationTerm.repulsion(net, List.of()).value(new double[6]));
  }

  private static double[] softmax(double... v) {
    double sum = 0;
    for (double x : v) {
      sum += Math.exp(x);
    }
    double[] p = new double[v.length];
    for (int h = 0; h < v.length; h++) {
      p[h] = Math.exp(v[h]) / sum;
    }
    return p;
  }
}
