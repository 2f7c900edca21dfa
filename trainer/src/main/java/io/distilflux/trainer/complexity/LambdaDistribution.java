package io.distilflux.trainer.complexity;

import java.util.random.RandomGenerator;

/** Where the complexity weight λ of each training sample comes from. */
public sealed interface LambdaDistribution {

  /** One λ. */
  double sample(RandomGenerator random);

  /** Always the same λ (direct models, fine-tunes). */
  record Fixed(double lambda) implements LambdaDistribution {
    /** Checks that λ is positive and finite. */
    public Fixed {
      if (!(lambda > 0) || !Double.isFinite(lambda)) {
        throw new IllegalArgumentException("λ must be positive and finite, got " + lambda);
      }
    }

    @Override
    public double sample(RandomGenerator random) {
      return lambda;
    }
  }

  /** log₁₀λ ~ U(from, to): the hypernetworks' training distribution, U(−1, 2) in the paper. */
  record LogUniform(double from, double to) implements LambdaDistribution {
    /** Checks that the interval is finite and not reversed. */
    public LogUniform {
      if (!Double.isFinite(from) || !Double.isFinite(to) || from > to) {
        throw new IllegalArgumentException("log10 λ interval must be finite and ordered, got ["
            + from + ", " + to + "]");
      }
    }

    @Override
    public double sample(RandomGenerator random) {
      return Math.pow(10, from + (to - from) * random.nextDouble());
    }
  }
}
