package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The running gradient-noise variance against the same quantity computed in two passes. */
class GradientNoiseTest {

  @Test
  void theRecursionIsTheTwoPassVarianceOfTheDeviationsPlusTheirSquaredMean() {
    SplittableRandom random = new SplittableRandom(5);
    int size = 4;
    int steps = 300;
    double[][] deviations = new double[steps][size];
    GradientNoise noise = new GradientNoise(size);
    for (int t = 0; t < steps; t++) {
      double[] batch = TestExamples.gaussian(size, 1.0, 0.3, random);
      double[] first = new double[size];
      for (int k = 0; k < size; k++) {
        // parameter k's noise has standard deviation k (parameter 0 has none) and a small bias
        first[k] = batch[k] + k * random.nextGaussian() + 0.05 * k;
        deviations[t][k] = first[k] - batch[k];
      }
      noise.update(first, batch);
    }
    double[] c = noise.variance();
    assertEquals(steps, noise.steps());
    for (int k = 0; k < size; k++) {
      double mean = 0;
      for (double[] d : deviations) {
        mean += d[k] / steps;
      }
      double variance = 0;
      for (double[] d : deviations) {
        variance += (d[k] - mean) * (d[k] - mean) / steps;
      }
      // mean square = variance about the mean + the mean's square
      assertEquals(variance + mean * mean, c[k], 1e-10 * (1 + c[k]), "parameter " + k);
    }
    assertEquals(0.0, c[0]);
    assertEquals(9.0, c[3], 9.0 * 0.25);
  }

  @Test
  void theFirstStepsDeviationIsTheVarianceWhateverCameBefore() {
    GradientNoise noise = new GradientNoise(2);
    noise.update(new double[] {1, 3}, new double[] {0, 1});
    assertEquals(1.0, noise.variance()[0]);
    assertEquals(4.0, noise.variance()[1]);
  }
}
