package io.distilflux.trainer.complexity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The closed-form one-step hypergradient of λ_c against a brute-force central difference in
 * double precision: L_val at the means after one SGD step of mean CE + λ_c·KL/N.
 */
class ComplexityHyperGradientTest {

  private static final double PRIOR = 0.1;
  private static final double STEP = 0.05;
  private static final int N = 40;
  private final VariationalMlp network = new VariationalMlp(6, 5, 3);
  private final Examples train = TestData.clusters(N, 6, 1, 1);
  private final Examples validation = TestData.clusters(30, 6, 1, 2);
  private final SplittableRandom random = new SplittableRandom(4);
  private final double[] mu = TestData.gaussian(network.parameterCount(), 0.5, 0, random);
  private final double[] rho = TestData.gaussian(network.parameterCount(), 0.2, -2, random);

  /** ∇θ of the sampled mean CE on the training batch, with one fixed noise draw. */
  private double[][] trainingGradient() {
    int p = network.parameterCount();
    double[] sigma2 = new double[p];
    VariationalMlp.variances(rho, sigma2);
    VariationalMlp.Buffers b = network.buffers(N);
    int[] order = identity(N);
    train.copyRows(order, 0, N, b.input());
    network.drawNoise(b, N, new SplittableRandom(9));
    network.sampledForward(mu, sigma2, b, N);
    double[] logitGradient = new double[N * 3];
    CrossEntropy.meanAndGradient(b.logits(), train.labels(), order, 0, N, 3, logitGradient);
    double[] gradMu = new double[p];
    double[] gradSigma2 = new double[p];
    network.backward(mu, sigma2, b, N, logitGradient, gradMu, gradSigma2);
    double[] gradRho = new double[p];
    for (int k = 0; k < p; k++) {
      gradRho[k] = gradSigma2[k] * 2 * sigma2[k];
    }
    return new double[][] {gradMu, gradRho};
  }

  /** μ' after the SGD step at λ_c. */
  private double[] stepped(double[] gradCe, double lambdaC) {
    double[] out = gradCe.clone();
    double[] unusedRho = new double[out.length];
    java.util.Arrays.fill(out, 0.0);
    double[] g = gradCe.clone();
    VariationalMlp.addKlGradient(mu, rho, PRIOR, lambdaC / N, g, unusedRho);
    for (int k = 0; k < out.length; k++) {
      out[k] = mu[k] - STEP * g[k];
    }
    return out;
  }

  private double validationLoss(double[] muAfter, double[] gradient) {
    int n = validation.count();
    VariationalMlp.Buffers b = network.buffers(n);
    int[] order = identity(n);
    validation.copyRows(order, 0, n, b.input());
    network.meanForward(muAfter, b, n);
    double[] logitGradient = new double[n * 3];
    double loss = CrossEntropy.meanAndGradient(b.logits(), validation.labels(), order, 0, n, 3,
        logitGradient);
    if (gradient != null) {
      network.meanBackward(muAfter, b, n, logitGradient, gradient);
    }
    return loss;
  }

  @Test
  void closedFormMatchesTheBruteForceDifferenceInLambdaAndInB4() {
    double[] gradCe = trainingGradient()[0];
    for (double b4 : new double[] {-1.5, 0.2, 2.0}) {
      double lambdaC = ComplexityHyperGradient.lambda(b4);
      double[] valGrad = new double[network.parameterCount()];
      validationLoss(stepped(gradCe, lambdaC), valGrad);
      double analytic = ComplexityHyperGradient.withRespectToLambda(valGrad, null, mu, rho,
          PRIOR, STEP, N);
      double h = 1e-4 * lambdaC;
      double numeric = (validationLoss(stepped(gradCe, lambdaC + h), null)
          - validationLoss(stepped(gradCe, lambdaC - h), null)) / (2 * h);
      assertTrue(Math.abs(analytic) > 1e-9, "a non-trivial hypergradient: " + analytic);
      assertTrue(Math.abs(analytic - numeric) < 1e-4 * Math.abs(numeric),
          "dL/dλ_c analytic " + analytic + " vs brute force " + numeric);
      double viaB4 = ComplexityHyperGradient.withRespectToCoordinate(analytic, b4);
      double hb = 1e-5;
      double numericB4 = (validationLoss(stepped(gradCe, ComplexityHyperGradient.lambda(b4 + hb)),
          null) - validationLoss(stepped(gradCe, ComplexityHyperGradient.lambda(b4 - hb)), null))
          / (2 * hb);
      assertTrue(Math.abs(viaB4 - numericB4) < 1e-4 * Math.abs(numericB4),
          "dL/db4 analytic " + viaB4 + " vs brute force " + numericB4);
    }
  }

  @Test
  void meanBackwardMatchesCentralDifferences() {
    double[] grad = new double[network.parameterCount()];
    double[] at = mu.clone();
    validationLoss(at, grad);
    for (int k = 0; k < at.length; k++) {
      VariationalMlpTest.assertClose(grad[k], VariationalMlpTest.difference(at, k, 1e-6,
          () -> validationLoss(at, null)), 1e-6, "∂L_val/∂μ " + k);
    }
  }

  @Test
  void coordinateMapsOntoTheTestedRangeAndBack() {
    assertEquals(Math.pow(10, 0.5), ComplexityHyperGradient.lambda(0), 1e-12);
    assertEquals(1.0, ComplexityHyperGradient.lambda(ComplexityHyperGradient.coordinate(1.0)),
        1e-12);
    assertEquals(37.0, ComplexityHyperGradient.lambda(ComplexityHyperGradient.coordinate(37)),
        1e-9);
    assertTrue(ComplexityHyperGradient.lambda(-40) >= 0.1);
    assertTrue(ComplexityHyperGradient.lambda(40) <= 100);
  }

  private static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }
}
