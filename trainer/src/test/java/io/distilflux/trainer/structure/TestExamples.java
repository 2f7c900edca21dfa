package io.distilflux.trainer.structure;

import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.TestData;
import java.util.SplittableRandom;

/** Small generated data and parameters for the structure tests (no files). */
final class TestExamples {

  private TestExamples() {}

  /**
   * {@code n} examples of {@code width} non-negative features around one random centre per class,
   * every third feature exactly zero (as MNIST's border pixels are); centres and samples from one
   * generator.
   */
  static Examples clusters(int n, int width, int classes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    return TestData.clusters(n, width, classes, random, random);
  }

  /** {@code n} Gaussian entries of standard deviation {@code scale} around {@code shift}. */
  static double[] gaussian(int n, double scale, double shift, SplittableRandom random) {
    return TestData.gaussian(n, scale, shift, random);
  }
}
