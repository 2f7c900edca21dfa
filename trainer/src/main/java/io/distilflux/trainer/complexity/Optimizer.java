package io.distilflux.trainer.complexity;

import java.util.Locale;
import java.util.Objects;

/**
 * Which step rule trains a variational network, and its rates (docs/complexity.md §3): Adam, the
 * small protocol's default, or SGD with momentum, the paper's.
 *
 * @param kind Adam or SGD
 * @param learningRate the step size, > 0
 * @param momentum SGD's momentum in [0, 1) (ignored by Adam)
 */
public record Optimizer(Kind kind, double learningRate, double momentum) {

  /** The step rules. */
  public enum Kind {
    /** Adam (β1 = 0.9, β2 = 0.999), step size 3·10⁻³ unless given. */
    ADAM(3e-3),
    /** SGD with momentum, step size 10⁻² unless given (the reading of the paper's setting). */
    SGD(1e-2);

    private final double defaultLearningRate;

    Kind(double defaultLearningRate) {
      this.defaultLearningRate = defaultLearningRate;
    }

    /** The step size used when none is given. */
    public double defaultLearningRate() {
      return defaultLearningRate;
    }
  }

  /** SGD's momentum unless given. */
  public static final double DEFAULT_MOMENTUM = 0.9;

  /** Checks the rates. */
  public Optimizer {
    Objects.requireNonNull(kind, "kind");
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be positive and finite");
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
    }
  }

  /** Adam with step size {@code learningRate}. */
  public static Optimizer adam(double learningRate) {
    return new Optimizer(Kind.ADAM, learningRate, DEFAULT_MOMENTUM);
  }

  /** A fresh step rule for {@code size} parameters, clipping gradients by value at {@code clip}. */
  public GradientStep create(int size, double clip) {
    return kind == Kind.ADAM ? new Adam(size, learningRate, clip)
        : new SgdMomentum(size, learningRate, momentum, clip);
  }

  /** "Adam 0.003" or "SGD 0.01, momentum 0.9". */
  public String describe() {
    return kind == Kind.ADAM ? String.format(Locale.ROOT, "Adam %s", learningRate)
        : String.format(Locale.ROOT, "SGD %s, momentum %s", learningRate, momentum);
  }
}
