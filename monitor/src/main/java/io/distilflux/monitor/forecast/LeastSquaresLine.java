package io.distilflux.monitor.forecast;

/**
 * An ordinary least-squares line y(z) = intercept + slope · z fitted to points (z, y).
 *
 * @param slope change of y per unit of z
 * @param intercept value of y at z = 0
 * @param residual root-mean-square residual of the points around the line
 * @param points number of points fitted
 */
public record LeastSquaresLine(double slope, double intercept, double residual, int points) {

  /** The line's value at z. */
  public double at(double z) {
    return intercept + slope * z;
  }

  /**
   * Fits a line to the points (z[k], y[k]). With one point, or when every z is equal, the line
   * is flat through the mean of y (there is no slope to estimate).
   *
   * @throws IllegalArgumentException when the arrays are empty, differ in length, or hold a
   *     non-finite value
   */
  public static LeastSquaresLine fit(double[] z, double[] y) {
    if (z.length != y.length) {
      throw new IllegalArgumentException(
          "z has " + z.length + " points but y has " + y.length);
    }
    int n = z.length;
    if (n == 0) {
      throw new IllegalArgumentException("cannot fit a line to zero points");
    }
    for (int k = 0; k < n; k++) {
      if (!Double.isFinite(z[k]) || !Double.isFinite(y[k])) {
        throw new IllegalArgumentException(
            "point " + k + " is not finite: (" + z[k] + ", " + y[k] + ")");
      }
    }
    double meanZ = 0;
    double meanY = 0;
    for (int k = 0; k < n; k++) {
      meanZ += z[k];
      meanY += y[k];
    }
    meanZ /= n;
    meanY /= n;
    // Centred sums avoid the cancellation of the textbook n·Σzy − Σz·Σy form.
    double szz = 0;
    double szy = 0;
    for (int k = 0; k < n; k++) {
      double dz = z[k] - meanZ;
      szz += dz * dz;
      szy += dz * (y[k] - meanY);
    }
    double slope = szz == 0 ? 0 : szy / szz;
    double intercept = meanY - slope * meanZ;
    double squares = 0;
    for (int k = 0; k < n; k++) {
      double r = y[k] - (intercept + slope * z[k]);
      squares += r * r;
    }
    return new LeastSquaresLine(slope, intercept, Math.sqrt(squares / n), n);
  }
}
