package io.distilflux.trainer.complexity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Training direct models and hypernetworks on generated clusters. */
class VariationalTrainerTest {

  private static final double PRIOR = 0.1;
  private final VariationalMlp network = new VariationalMlp(12, 8, 3);
  private final Examples train = TestData.clusters(600, 12, 1);
  private final Examples test = TestData.clusters(300, 12, 1, 2);

  private TrainingSettings settings(LambdaDistribution lambdas, int samples, int epochs) {
    return new TrainingSettings(epochs, 32, samples, Optimizer.adam(3e-3), 1.0, PRIOR, lambdas,
        5);
  }

  private DirectModel fresh() {
    double[] mu = new double[network.parameterCount()];
    double[] rho = new double[network.parameterCount()];
    network.initialise(mu, rho, new SplittableRandom(3));
    return new DirectModel(mu, rho);
  }

  private double kl(Hypernet model, double lambda) {
    double[] mu = new double[network.parameterCount()];
    double[] rho = new double[network.parameterCount()];
    model.generate(lambda, mu, rho);
    return VariationalMlp.kl(mu, rho, PRIOR);
  }

  private double accuracy(Hypernet model, double lambda) {
    double[] mu = new double[network.parameterCount()];
    double[] rho = new double[network.parameterCount()];
    model.generate(lambda, mu, rho);
    return new Evaluator(network, PRIOR).accuracy(mu, test);
  }

  @Test
  void aDirectModelLearnsAndALargerLambdaLeavesASmallerKl() {
    DirectModel weak = fresh();
    DirectModel strong = fresh();
    VariationalTrainer.Outcome outcome = new VariationalTrainer(network,
        settings(new LambdaDistribution.Fixed(0.1), 1, 15)).train(weak, train);
    new VariationalTrainer(network, settings(new LambdaDistribution.Fixed(100), 1, 15))
        .train(strong, train);
    assertTrue(accuracy(weak, 0) > 0.9, "accuracy " + accuracy(weak, 0));
    assertTrue(kl(strong, 0) < 0.5 * kl(weak, 0),
        "KL at λ=100 " + kl(strong, 0) + " vs at λ=0.1 " + kl(weak, 0));
    assertEquals(15 * (600 / 32 + 1), outcome.steps());
    assertEquals(outcome.steps() * 2 * network.parameterCount(), outcome.updates());
  }

  @Test
  void aLinearHypernetworkTrainedOverTheRangeOrdersItsKlByLambda() {
    DirectModel start = fresh();
    double[] mu = new double[network.parameterCount()];
    double[] rho = new double[network.parameterCount()];
    start.generate(0, mu, rho);
    LinearHypernet g = new LinearHypernet(mu, rho, LambdaInput.LOG);
    VariationalTrainer.Outcome outcome = new VariationalTrainer(network,
        settings(new LambdaDistribution.LogUniform(-1, 2), 5, 15)).train(g, train);
    assertTrue(kl(g, 100) < kl(g, 1) && kl(g, 1) < kl(g, 0.1),
        "KL at 0.1, 1, 100: " + kl(g, 0.1) + ", " + kl(g, 1) + ", " + kl(g, 100));
    assertTrue(accuracy(g, 1) > 0.9, "accuracy at λ=1 " + accuracy(g, 1));
    assertEquals(outcome.steps() * 4 * network.parameterCount(), outcome.updates());
  }

  @Test
  void theSameSeedTrainsTheSameModel() {
    DirectModel a = fresh();
    DirectModel b = fresh();
    TrainingSettings s = settings(new LambdaDistribution.LogUniform(-1, 2), 2, 2);
    new VariationalTrainer(network, s).train(a, train);
    new VariationalTrainer(network, s).train(b, train);
    org.junit.jupiter.api.Assertions.assertArrayEquals(a.parameters(), b.parameters(), 0);
  }
}
