package io.distilflux.pipeline.event;

/**
 * One extra meta-parameter of a {@link MetaParams}.
 *
 * @param b the unconstrained coordinate
 * @param value the natural value, {@link ExtraParameter#value(double)} of b
 */
public record ExtraValue(double b, double value) {

  /** The coordinate b of the named parameter with its value. */
  public static ExtraValue of(ExtraParameter parameter, double b) {
    return new ExtraValue(b, parameter.value(b));
  }
}
