package io.distilflux.pipeline.event;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * Meta-parameters in unconstrained coordinates b = (b1, b2, b3) (docs/method.md §1):
 * λ1 = σ(b1), λ2 = σ(b2), T = Tmin + (Tmax − Tmin)·σ(b3).
 *
 * @param b1 coordinate of λ1
 * @param b2 coordinate of λ2
 * @param b3 coordinate of the temperature T
 */
public record Unconstrained(double b1, double b2, double b3) {

  /** Lowest temperature reachable by the map. */
  public static final double T_MIN = 0.1;
  /** Highest temperature reachable by the map. */
  public static final double T_MAX = 10.0;

  /** Maps b to λ = (λ1, λ2, T) with the sigmoid map of docs/method.md §1. */
  public MetaValues toValues() {
    return new MetaValues(sigmoid(b1), sigmoid(b2), T_MIN + (T_MAX - T_MIN) * sigmoid(b3));
  }

  /** Inverse of {@link #toValues()}; λ1, λ2 in (0, 1) and T in (Tmin, Tmax), ends clamped. */
  public static Unconstrained fromValues(MetaValues values) {
    return new Unconstrained(
        logit(values.lambda1()),
        logit(values.lambda2()),
        logit((values.temperature() - T_MIN) / (T_MAX - T_MIN)));
  }

  /**
   * dλ/db for each coordinate: λi(1 − λi) and (Tmax − Tmin)·σ(b3)(1 − σ(b3)) (docs/method.md §2).
   */
  public Unconstrained jacobianDiagonal() {
    double s1 = sigmoid(b1), s2 = sigmoid(b2), s3 = sigmoid(b3);
    return new Unconstrained(s1 * (1 - s1), s2 * (1 - s2), (T_MAX - T_MIN) * s3 * (1 - s3));
  }

  /** True when every coordinate is a finite number. */
  @JsonIgnore // derived, not a field: written as "finite" it would fail strict decoding
  public boolean isFinite() {
    return Double.isFinite(b1) && Double.isFinite(b2) && Double.isFinite(b3);
  }

  /** Coordinate i ∈ {0, 1, 2}. */
  public double get(int i) {
    return switch (i) {
      case 0 -> b1;
      case 1 -> b2;
      case 2 -> b3;
      default -> throw new IndexOutOfBoundsException("coordinate " + i + " of b");
    };
  }

  /** Builds b from an array of three coordinates. */
  public static Unconstrained of(double[] b) {
    if (b.length != 3) {
      throw new IllegalArgumentException("b has 3 coordinates, got " + b.length);
    }
    return new Unconstrained(b[0], b[1], b[2]);
  }

  /** The coordinates as a new array. */
  public double[] toArray() {
    return new double[] {b1, b2, b3};
  }

  static double sigmoid(double x) {
    return 1.0 / (1.0 + Math.exp(-x));
  }

  private static double logit(double p) {
    double clamped = Math.min(1 - 1e-12, Math.max(1e-12, p));
    return Math.log(clamped / (1 - clamped));
  }
}
