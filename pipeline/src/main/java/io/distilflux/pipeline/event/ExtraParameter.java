package io.distilflux.pipeline.event;

import java.util.Locale;
import java.util.Optional;

/**
 * A meta-parameter beyond (λ1, λ2, T) that a run may declare in {@link RunConfig#extraMeta()}
 * and that then travels, by its {@link #jsonName() name}, in the {@code extra} maps of
 * {@link TrainingStep}, {@link HyperGradient}, {@link MetaParams} and {@link TrajectoryForecast}. Each maps one
 * unconstrained coordinate b to its natural value.
 */
public enum ExtraParameter {
  /**
   * λ_c, the weight of KL(q‖p)/N of a variational student: λ_c = 10^{−1+3σ(b)}, so λ_c ∈
   * (10⁻¹, 10²), the range the complexity experiment covers.
   */
  COMPLEXITY("lambdaC");

  private final String jsonName;

  ExtraParameter(String jsonName) {
    this.jsonName = jsonName;
  }

  /** The name in events, configurations and metric tags, for example {@code lambdaC}. */
  public String jsonName() {
    return jsonName;
  }

  /** The parameter of this name, if this build knows it. */
  public static Optional<ExtraParameter> named(String name) {
    for (ExtraParameter parameter : values()) {
      if (parameter.jsonName.equals(name)) {
        return Optional.of(parameter);
      }
    }
    return Optional.empty();
  }

  /** The parameter of this name; a one-line error naming the known ones otherwise. */
  public static ExtraParameter require(String name) {
    return named(name).orElseThrow(() -> new IllegalArgumentException(
        "unknown extra meta-parameter '" + name + "' (known: " + knownNames() + ")"));
  }

  /** The known names, comma-separated. */
  public static String knownNames() {
    return String.join(", ",
        java.util.Arrays.stream(values()).map(ExtraParameter::jsonName).toList());
  }

  /** The natural value at the coordinate b. */
  public double value(double b) {
    return switch (this) {
      case COMPLEXITY -> Math.pow(10, -1 + 3 * Unconstrained.sigmoid(b));
    };
  }

  /** d value / db at b. */
  public double derivative(double b) {
    return switch (this) {
      case COMPLEXITY -> {
        double s = Unconstrained.sigmoid(b);
        yield 3 * Math.log(10) * value(b) * s * (1 - s);
      }
    };
  }

  /** The coordinate b of a value inside the range; a one-line error outside it. */
  public double coordinate(double value) {
    return switch (this) {
      case COMPLEXITY -> {
        double s = (Math.log10(value) + 1) / 3;
        if (!(s > 0 && s < 1)) {
          throw new IllegalArgumentException(String.format(Locale.ROOT,
              "%s must lie strictly between 0.1 and 100, got %s", jsonName, value));
        }
        yield Math.log(s / (1 - s));
      }
    };
  }
}
