package io.distilflux.pipeline.meta;

import io.distilflux.pipeline.event.ExtraGradient;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import java.util.List;

/**
 * The update b' = at − η·clip(g) of docs/method.md §3, with Adam as an option, and the normalised
 * rule b' = at − η·clip(g / ‖v‖²), v the validation gradient of the hypergradient's step: the
 * reference implementation's update in effect (its finite-difference Hessian product carries a
 * factor ε² = 1e-4/‖v‖², its meta learning rate is 1e5, so its step is 10·g/‖v‖²). One instance
 * holds the state of one run: nothing for SGD and the normalised rule; the moments m, v and the
 * step count for Adam. Not thread-safe; callers serialise the updates of a run.
 */
public final class MetaUpdateRule {

  /** Adam's first-moment decay. */
  public static final double BETA1 = 0.9;
  /** Adam's second-moment decay. */
  public static final double BETA2 = 0.999;
  /** Adam's denominator guard. */
  public static final double EPSILON = 1e-8;

  private final OptimizerKind kind;
  private final double learningRate;
  private final double clip;
  /** Adam's moments, one per coordinate; sized by the first update. */
  private double[] m;
  private double[] v;
  private long adamSteps;

  /**
   * A rule with fresh state.
   *
   * @param kind SGD or Adam
   * @param learningRate η, finite and &gt; 0
   * @param clip c, finite and &gt; 0
   */
  public MetaUpdateRule(OptimizerKind kind, double learningRate, double clip) {
    // Validation lives in the settings record; reuse it so both say the same thing.
    MetaOptimizerSettings checked =
        MetaOptimizerSettings.defaults().withRule(kind, learningRate, clip);
    this.kind = checked.optimizer();
    this.learningRate = checked.learningRate();
    this.clip = checked.clip();
  }

  /** A rule with fresh state for the rule part of the settings. */
  public static MetaUpdateRule of(MetaOptimizerSettings settings) {
    return new MetaUpdateRule(settings.optimizer(), settings.learningRate(), settings.clip());
  }

  /** Each component of g clipped to [−c, c]. */
  public static Unconstrained clip(Unconstrained gradient, double c) {
    return new Unconstrained(
        clamp(gradient.b1(), c), clamp(gradient.b2(), c), clamp(gradient.b3(), c));
  }

  /**
   * Applies one update from {@code at} with the hypergradient {@code gradient}; for Adam it
   * advances m, v and the step count.
   *
   * @throws IllegalArgumentException when {@code at} or {@code gradient} is not finite (such
   *     hypergradients are skipped before they reach the rule, so the state stays clean)
   */
  public Unconstrained step(Unconstrained at, Unconstrained gradient) {
    return step(at, gradient, Double.NaN);
  }

  /**
   * As {@link #step(Unconstrained, Unconstrained)}, with ‖v‖² of the hypergradient's step,
   * which the normalised rule divides the gradient by (the others ignore it).
   *
   * @throws IllegalArgumentException as the other, and for the normalised rule when ‖v‖² is not
   *     {@linkplain #accepts accepted}
   */
  public Unconstrained step(
      Unconstrained at, Unconstrained gradient, double validationGradientNormSquared) {
    if (!at.isFinite() || !gradient.isFinite()) {
      throw new IllegalArgumentException(
          "non-finite update input: at=" + at + " gradient=" + gradient);
    }
    return Unconstrained.of(
        step(at.toArray(), gradient.toArray(), validationGradientNormSquared));
  }

  /**
   * The same update on any number of coordinates: b and, after it, the run's extra
   * coordinates. Each coordinate is treated as b's are (its own clip, its own Adam moments; one
   * step count), so extra coordinates move by the rule that moves b. A run's dimension is fixed
   * by its configuration; the Adam state takes the dimension of the first update.
   *
   * @throws IllegalArgumentException when an input is not finite, the lengths differ or change
   *     between Adam updates, or the normalised rule gets an ‖v‖² it does not {@linkplain
   *     #accepts accept}
   */
  public double[] step(double[] at, double[] gradient, double validationGradientNormSquared) {
    if (at.length != gradient.length) {
      throw new IllegalArgumentException(
          "at has " + at.length + " coordinates, the gradient " + gradient.length);
    }
    for (int i = 0; i < at.length; i++) {
      if (!Double.isFinite(at[i]) || !Double.isFinite(gradient[i])) {
        throw new IllegalArgumentException("non-finite update input at coordinate " + i);
      }
    }
    if (!accepts(validationGradientNormSquared)) {
      throw new IllegalArgumentException("the normalised rule needs a finite ‖v‖² > 0, got "
          + validationGradientNormSquared);
    }
    double[] b = at.clone();
    if (kind == OptimizerKind.NORMALIZED || kind == OptimizerKind.SGD) {
      double scale = kind == OptimizerKind.NORMALIZED ? validationGradientNormSquared : 1;
      for (int i = 0; i < b.length; i++) {
        b[i] -= learningRate * clamp(gradient[i] / scale, clip);
      }
      return b;
    }
    if (m == null) {
      m = new double[b.length];
      v = new double[b.length];
    } else if (m.length != b.length) {
      throw new IllegalArgumentException(
          "Adam state has " + m.length + " coordinates, the update " + b.length);
    }
    adamSteps++;
    double correction1 = 1 - Math.pow(BETA1, adamSteps);
    double correction2 = 1 - Math.pow(BETA2, adamSteps);
    for (int i = 0; i < b.length; i++) {
      double g = clamp(gradient[i], clip);
      m[i] = BETA1 * m[i] + (1 - BETA1) * g;
      v[i] = BETA2 * v[i] + (1 - BETA2) * g * g;
      double mHat = m[i] / correction1;
      double vHat = v[i] / correction2;
      b[i] -= learningRate * mHat / (Math.sqrt(vHat) + EPSILON);
    }
    return b;
  }

  /**
   * The update of one hypergradient record as the meta-optimizer makes it: b and then the
   * extra coordinates {@code extraNames} (in that order) moved from the record's point by its
   * gradient. Null when the record cannot move them — a coordinate that is not finite or missing,
   * or an ‖v‖² the rule does not {@linkplain #accepts accept} — and then the state is untouched
   * (the service keeps the point instead). A trainer that runs ahead of the service computes
   * its updates with this same method, so the two agree bit for bit.
   */
  public double[] update(HyperGradient record, List<String> extraNames) {
    double[] at = coordinates(record, extraNames, false);
    double[] gradient = coordinates(record, extraNames, true);
    if (!finite(at) || !finite(gradient)
        || !accepts(record.validationGradientNormSquared())) {
      return null;
    }
    return step(at, gradient, record.validationGradientNormSquared());
  }

  /**
   * A hypergradient's point ({@code gradient} false) or gradient as b1, b2, b3 and then the
   * extra coordinates in {@code names}' order, NaN for a name the record lacks (handled as a
   * non-finite value); null when its b is null.
   */
  static double[] coordinates(HyperGradient record, List<String> names, boolean gradient) {
    Unconstrained b = gradient ? record.gradient() : record.at();
    if (b == null) {
      return null;
    }
    double[] point = new double[3 + names.size()];
    System.arraycopy(b.toArray(), 0, point, 0, 3);
    for (int i = 0; i < names.size(); i++) {
      ExtraGradient extra = record.extra().get(names.get(i));
      point[3 + i] = extra == null ? Double.NaN : gradient ? extra.gradient() : extra.at();
    }
    return point;
  }

  static boolean finite(double[] point) {
    if (point == null) {
      return false;
    }
    for (double x : point) {
      if (!Double.isFinite(x)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether this rule can update with a hypergradient of this ‖v‖²: always, except the
   * normalised rule, which needs it finite and &gt; 0 (records of schema version 1 lack it).
   */
  public boolean accepts(double validationGradientNormSquared) {
    return kind != OptimizerKind.NORMALIZED
        || (validationGradientNormSquared > 0 && Double.isFinite(validationGradientNormSquared));
  }

  /** The update rule. */
  public OptimizerKind kind() {
    return kind;
  }

  /** η. */
  public double learningRate() {
    return learningRate;
  }

  /** c. */
  public double clip() {
    return clip;
  }

  /** How many Adam updates this state has absorbed (0 for SGD). */
  public long adamSteps() {
    return adamSteps;
  }

  private static double clamp(double x, double c) {
    return Math.max(-c, Math.min(c, x));
  }
}
