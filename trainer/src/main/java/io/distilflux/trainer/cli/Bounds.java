package io.distilflux.trainer.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The allowed range of a numeric option, declared next to its {@code @Option}; checked by
 * {@link OptionBounds} once the flags and the {@code --config} file are parsed.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface Bounds {

  /** The smallest allowed value. */
  double min() default Double.NEGATIVE_INFINITY;

  /** The largest allowed value. */
  double max() default Double.POSITIVE_INFINITY;

  /** Whether {@link #min()} itself is excluded (a value must be greater). */
  boolean minExclusive() default false;
}
