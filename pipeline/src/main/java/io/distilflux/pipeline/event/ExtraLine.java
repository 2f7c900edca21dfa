package io.distilflux.pipeline.event;

/**
 * The least-squares line of one extra coordinate in a {@link TrajectoryForecast}.
 *
 * @param slope per step
 * @param intercept value at z = 0
 * @param residual root-mean-square residual of the fit
 */
public record ExtraLine(double slope, double intercept, double residual) {

  /** The line's value z steps after the period start. */
  public double at(double z) {
    return intercept + slope * z;
  }
}
