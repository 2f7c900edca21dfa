package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.VariationalMlp;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The output layer's logits are linear in its parameters, so its Gauss–Newton matrix is the
 * cross-entropy's exact Hessian there: it must match second differences of the summed loss.
 */
class OutputPrecisionTest {

  @Test
  void theOutputLayersPrecisionIsTheLossHessianPlusThePriorPrecision() {
    VariationalMlp network = new VariationalMlp(4, 3, 3);
    Examples data = TestExamples.clusters(15, 4, 3, 8);
    double[] w = TestExamples.gaussian(network.parameterCount(), 0.7, 0.1,
        new SplittableRandom(12));
    double prior = 0.5;
    OutputPrecision precision = OutputPrecision.of(network, w, data, data.count(), prior);
    MeanLoss loss = new MeanLoss(network, data);
    int[] p = precision.parameters();
    assertEquals((3 + 1) * 3, p.length);
    double h = 1e-4;
    for (int i = 0; i < p.length; i++) {
      for (int j = 0; j < p.length; j++) {
        double second = (value(loss, w, p[i], h, p[j], h) - value(loss, w, p[i], h, p[j], -h)
            - value(loss, w, p[i], -h, p[j], h) + value(loss, w, p[i], -h, p[j], -h))
            / (4 * h * h);
        double expected = data.count() * second + (i == j ? 1 / prior : 0);
        assertEquals(expected, precision.matrix()[i][j], 1e-4 * (1 + Math.abs(expected)),
            "A[" + i + "][" + j + "]");
      }
    }
  }

  private static double value(MeanLoss loss, double[] w, int i, double hi, int j, double hj) {
    double[] v = w.clone();
    v[i] += hi;
    v[j] += hj;
    return loss.value(v);
  }
}
