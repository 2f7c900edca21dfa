package io.distilflux.trainer.complexity;

import static io.distilflux.trainer.complexity.VariationalMlpTest.assertClose;
import static io.distilflux.trainer.complexity.VariationalMlpTest.difference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The hypernetworks' outputs at given λ and their chain rule against central differences. */
class HypernetTest {

  private final VariationalMlp network = new VariationalMlp(5, 4, 3);
  private final SplittableRandom random = new SplittableRandom(11);

  @Test
  void linearHypernetGeneratesLambdaTimesB2PlusB3() {
    double[] mu = {1, 2, 3};
    double[] rho = {-1, -2, -3};
    LinearHypernet g = new LinearHypernet(mu, rho, LambdaInput.RAW);
    double[] phi = g.parameters();
    // b2 = (0.5, 0, −1 | 0.1, 0.2, 0.3), b3 = (μ, ρ)
    double[] b2 = {0.5, 0, -1, 0.1, 0.2, 0.3};
    System.arraycopy(b2, 0, phi, 0, 6);
    double[] outMu = new double[3];
    double[] outRho = new double[3];
    g.generate(10, outMu, outRho);
    assertArrayEquals(new double[] {6, 2, -7}, outMu, 1e-12);
    assertArrayEquals(new double[] {0, 0, 0}, outRho, 1e-12);
    g.generate(0.1, outMu, outRho);
    assertArrayEquals(new double[] {1.05, 2, 2.9}, outMu, 1e-12);
  }

  @Test
  void logInputMapsTheTestedRangeOntoTheUnitInterval() {
    assertEquals(0.0, LambdaInput.LOG.encode(0.1), 1e-12);
    assertEquals(1.0 / 3, LambdaInput.LOG.encode(1), 1e-12);
    assertEquals(1.0, LambdaInput.LOG.encode(100), 1e-12);
    assertEquals(42.0, LambdaInput.RAW.encode(42), 0);
  }

  @Test
  void freshHypernetworksStartNearTheModelTheyWereGivenAtEveryLambda() {
    int p = network.parameterCount();
    double[] mu = TestData.gaussian(p, 0.5, 0, random);
    double[] rho = TestData.gaussian(p, 0.1, -3, random);
    double[] outMu = new double[p];
    double[] outRho = new double[p];
    for (double lambda : new double[] {0.1, 1, 10, 100}) {
      new LinearHypernet(mu, rho, LambdaInput.RAW).generate(lambda, outMu, outRho);
      assertArrayEquals(mu, outMu, 0);
      DirectModel.at(new LinearHypernet(mu, rho, LambdaInput.RAW), lambda)
          .generate(0, outMu, outRho);
      assertArrayEquals(rho, outRho, 0);
    }
  }

  @Test
  void lowRankOutputDependsOnLambdaThroughARankOneTerm() {
    int p = network.parameterCount();
    double[] mu = new double[p];
    double[] rho = new double[p];
    LowRankHypernet g = new LowRankHypernet(network, mu, rho, LambdaInput.LOG, random);
    double[] at1 = new double[p];
    double[] at10 = new double[p];
    double[] unused = new double[p];
    g.generate(1, at1, unused);
    g.generate(10, at10, unused);
    assertNotEquals(at1[0], at10[0]);
    // with B1 = 0, the first layer's weight block is p qᵀ: every 2×2 minor vanishes
    int cols = network.outputWidth(0);
    double minor = at1[0] * at1[cols + 1] - at1[1] * at1[cols];
    assertEquals(0.0, minor, 1e-15);
  }

  @ParameterizedTest
  @EnumSource(LambdaInput.class)
  void chainRulesMatchCentralDifferences(LambdaInput input) {
    int p = network.parameterCount();
    double[] mu = TestData.gaussian(p, 0.5, 0, random);
    double[] rho = TestData.gaussian(p, 0.1, -3, random);
    double[] gradMu = TestData.gaussian(p, 1, 0, random);
    double[] gradRho = TestData.gaussian(p, 1, 0, random);
    LinearHypernet linear = new LinearHypernet(mu, rho, input);
    double[] b2 = linear.parameters();
    for (int k = 0; k < 2 * p; k++) {
      b2[k] = 0.01 * random.nextGaussian();
    }
    for (Hypernet g : new Hypernet[] {new DirectModel(mu, rho), linear,
        new LowRankHypernet(network, mu, rho, input, random)}) {
      for (double lambda : new double[] {0.3, 7}) {
        double[] phi = g.parameters();
        double[] gradient = new double[phi.length];
        g.accumulate(lambda, gradMu, gradRho, 0.5, gradient);
        double[] outMu = new double[p];
        double[] outRho = new double[p];
        java.util.function.DoubleSupplier functional = () -> {
          g.generate(lambda, outMu, outRho);
          double s = 0;
          for (int k = 0; k < p; k++) {
            s += 0.5 * (gradMu[k] * outMu[k] + gradRho[k] * outRho[k]);
          }
          return s;
        };
        for (int k = 0; k < phi.length; k += Math.max(1, phi.length / 400)) {
          // piecewise quadratic in φ: a wide step is exact and keeps rounding small
          assertClose(gradient[k], difference(phi, k, 1e-3, functional), 1e-6,
              g.getClass().getSimpleName() + " parameter " + k + " at λ " + lambda);
        }
      }
    }
  }
}
