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
  COMPLEXITY("lambdaC"),
  /**
   * A supernet's structure logits log α, flat over its edges (edge 0's K_0 logits first): the
   * value is the coordinate itself, since a softmax needs no range. Six of them at most, so that
   * a run's {@code extra} map keeps room for λ_c within {@link Extras#MAX_ENTRIES}.
   */
  LOG_ALPHA_0("logAlpha0"),
  /** The second structure logit (see {@link #LOG_ALPHA_0}). */
  LOG_ALPHA_1("logAlpha1"),
  /** The third structure logit. */
  LOG_ALPHA_2("logAlpha2"),
  /** The fourth structure logit. */
  LOG_ALPHA_3("logAlpha3"),
  /** The fifth structure logit. */
  LOG_ALPHA_4("logAlpha4"),
  /** The sixth and last structure logit. */
  LOG_ALPHA_5("logAlpha5");

  /** The most structure logits a run may stream. */
  public static final int MAX_STRUCTURE_LOGITS = 6;

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

  /** The structure logit of index {@code i}, 0 ≤ i < {@link #MAX_STRUCTURE_LOGITS}. */
  public static ExtraParameter structureLogit(int i) {
    if (i < 0 || i >= MAX_STRUCTURE_LOGITS) {
      throw new IllegalArgumentException("at most " + MAX_STRUCTURE_LOGITS
          + " structure logits are streamed, asked for index " + i);
    }
    return values()[LOG_ALPHA_0.ordinal() + i];
  }

  /** Whether this is one of the structure logits. */
  public boolean isStructureLogit() {
    return this != COMPLEXITY;
  }

  /** The natural value at the coordinate b. */
  public double value(double b) {
    return switch (this) {
      case COMPLEXITY -> Math.pow(10, -1 + 3 * Unconstrained.sigmoid(b));
      default -> b;
    };
  }

  /** d value / db at b. */
  public double derivative(double b) {
    return switch (this) {
      case COMPLEXITY -> {
        double s = Unconstrained.sigmoid(b);
        yield 3 * Math.log(10) * value(b) * s * (1 - s);
      }
      default -> 1;
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
      default -> {
        if (!Double.isFinite(value)) {
          throw new IllegalArgumentException(jsonName + " must be finite, got " + value);
        }
        yield value;
      }
    };
  }
}
