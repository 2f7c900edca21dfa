package io.distilflux.pipeline.event;

/**
 * A least-squares line per coordinate of b fitted to a hypergradient mini-epoch and
 * extrapolated over the following forecast mini-epochs (docs/method.md §4, paper eq. 12).
 * At step s of the window, b_i = intercept_i + slope_i · (s − periodStart).
 *
 * @param schemaVersion schema version written
 * @param runId run id (record key)
 * @param periodStart first step of the period (z = 0)
 * @param fromStep first step the forecast covers (inclusive)
 * @param toStep last step the forecast covers (inclusive)
 * @param slope per-coordinate slope, per step
 * @param intercept per-coordinate value at z = 0
 * @param residual per-coordinate root-mean-square residual of the fit
 * @param points number of recorded points the line was fitted to
 * @param extra one line per extra meta-parameter of the run, by name; empty before schema
 *     version 4
 */
public record TrajectoryForecast(
    int schemaVersion,
    String runId,
    long periodStart,
    long fromStep,
    long toStep,
    Unconstrained slope,
    Unconstrained intercept,
    Unconstrained residual,
    int points,
    java.util.Map<String, ExtraLine> extra)
    implements Event {

  /** Bounds and copies the extras (absent: none). */
  public TrajectoryForecast {
    extra = Extras.copy(extra, "extra");
  }

  /** A forecast of (λ1, λ2, T) only. */
  public TrajectoryForecast(int schemaVersion, String runId, long periodStart, long fromStep,
      long toStep, Unconstrained slope, Unconstrained intercept, Unconstrained residual,
      int points) {
    this(schemaVersion, runId, periodStart, fromStep, toStep, slope, intercept, residual, points,
        java.util.Map.of());
  }

  /** The forecast extra coordinates at a step of the window, by name. */
  public java.util.Map<String, Double> extraAt(long step) {
    double z = step - periodStart;
    java.util.Map<String, Double> b = new java.util.TreeMap<>();
    extra.forEach((name, line) -> b.put(name, line.at(z)));
    return java.util.Collections.unmodifiableMap(b);
  }

  /** The forecast b at a step of the window. */
  public Unconstrained at(long step) {
    double z = step - periodStart;
    return new Unconstrained(
        intercept.b1() + slope.b1() * z,
        intercept.b2() + slope.b2() * z,
        intercept.b3() + slope.b3() * z);
  }

  /** True when the step lies in [fromStep, toStep]. */
  public boolean covers(long step) {
    return step >= fromStep && step <= toStep;
  }
}
