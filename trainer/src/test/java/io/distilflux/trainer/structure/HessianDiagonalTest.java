package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.VariationalMlp;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Hutchinson's Hessian diagonal of a tiny network's loss against the dense Hessian computed by
 * second central differences of the loss values.
 */
class HessianDiagonalTest {

  private final VariationalMlp network = new VariationalMlp(4, 3, 3);
  private final Examples data = TestExamples.clusters(20, 4, 3, 5);
  private final MeanLoss loss = new MeanLoss(network, data);
  private final double[] w = TestExamples.gaussian(network.parameterCount(), 0.7, 0.1,
      new SplittableRandom(11));

  /** H_ij = [L(+i+j) − L(+i−j) − L(−i+j) + L(−i−j)]/4h². */
  private double[][] denseHessian() {
    int p = w.length;
    double h = 1e-4;
    double[][] hessian = new double[p][p];
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < p; j++) {
        hessian[i][j] = (shifted(i, h, j, h) - shifted(i, h, j, -h) - shifted(i, -h, j, h)
            + shifted(i, -h, j, -h)) / (4 * h * h);
      }
    }
    return hessian;
  }

  private double shifted(int i, double hi, int j, double hj) {
    double[] v = w.clone();
    v[i] += hi;
    v[j] += hj;
    return loss.value(v);
  }

  @Test
  void oneProbeGivesTheDenseHessianTimesTheProbe() {
    double[][] hessian = denseHessian();
    SplittableRandom random = new SplittableRandom(2);
    double[] z = new double[w.length];
    for (int k = 0; k < z.length; k++) {
      z[k] = random.nextBoolean() ? 1 : -1;
    }
    double[] hz = HessianDiagonal.product(loss::gradient, w, z, 1e-3);
    for (int i = 0; i < w.length; i++) {
      double expected = 0;
      for (int j = 0; j < w.length; j++) {
        expected += hessian[i][j] * z[j];
      }
      assertEquals(expected, hz[i], 1e-5 + 1e-4 * Math.abs(expected), "(Hz)_" + i);
    }
  }

  @Test
  void theMeanOverManyProbesApproachesTheDenseDiagonal() {
    double[][] hessian = denseHessian();
    int probes = 4000;
    double[] estimate = HessianDiagonal.hutchinson(loss::gradient, w, probes, 1e-3,
        new SplittableRandom(3));
    for (int i = 0; i < w.length; i++) {
      // z_i Σ_{j≠i} H_ij z_j has variance Σ_{j≠i} H_ij²: five standard errors of the mean
      double offDiagonal = 0;
      for (int j = 0; j < w.length; j++) {
        offDiagonal += j == i ? 0 : hessian[i][j] * hessian[i][j];
      }
      double tolerance = 5 * Math.sqrt(offDiagonal / probes) + 1e-5;
      assertEquals(hessian[i][i], estimate[i], tolerance, "h_" + i + i);
    }
  }

  @Test
  void theEmpiricalFisherIsTheMeanSquaredPerExampleGradient() {
    double[] fisher = loss.empiricalFisherDiagonal(w);
    double[] expected = new double[w.length];
    for (int e = 0; e < data.count(); e++) {
      double[] g = new MeanLoss(network, one(e)).gradient(w);
      for (int k = 0; k < w.length; k++) {
        expected[k] += g[k] * g[k] / data.count();
      }
    }
    for (int k = 0; k < w.length; k++) {
      assertEquals(expected[k], fisher[k], 1e-12 * (1 + expected[k]), "F_" + k + k);
    }
  }

  private Examples one(int e) {
    float[] x = Arrays.copyOfRange(data.features(), e * data.width(),
        (e + 1) * data.width());
    return new Examples(x, new byte[] {data.labels()[e]}, data.width(), data.classes());
  }
}
