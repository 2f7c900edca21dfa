package io.distilflux.trainer.cli;

import java.lang.reflect.Field;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** Checks the {@link Bounds} of an options object's fields: one line naming the flag. */
final class OptionBounds {

  private OptionBounds() {}

  /**
   * Checks every bounded option that has a value.
   *
   * @param options the object whose {@code @Option} fields are checked
   * @param origin where an option's value came from when not from a flag (a file, a protocol)
   * @throws IllegalArgumentException naming the first option out of bounds
   */
  static void check(Object options, Function<String, Optional<String>> origin) {
    for (Field field : options.getClass().getDeclaredFields()) {
      Bounds bounds = field.getAnnotation(Bounds.class);
      Option option = field.getAnnotation(Option.class);
      if (bounds == null || option == null) {
        continue;
      }
      Object value;
      try {
        field.setAccessible(true);
        value = field.get(options);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
      if (value instanceof Number number) {
        String name = option.names()[0];
        problem(number, bounds).ifPresent(why -> {
          String from = origin.apply(name).map(o -> " (" + o + ")").orElse("");
          throw new IllegalArgumentException(name + " " + why + from);
        });
      }
    }
  }

  private static Optional<String> problem(Number number, Bounds bounds) {
    boolean integral = !(number instanceof Double || number instanceof Float);
    double v = number.doubleValue();
    if (!Double.isFinite(v)) {
      return Optional.of("must be a finite number, got " + number);
    }
    boolean below = bounds.minExclusive() ? v <= bounds.min() : v < bounds.min();
    if (!below && v <= bounds.max()) {
      return Optional.empty();
    }
    if (bounds.minExclusive() && bounds.max() == Double.POSITIVE_INFINITY) {
      return Optional.of("must be > " + text(bounds.min(), integral) + ", got " + number);
    }
    String low = bounds.min() == Double.NEGATIVE_INFINITY ? "-∞" : text(bounds.min(), integral);
    String high = bounds.max() == Double.POSITIVE_INFINITY ? "∞" : text(bounds.max(), integral);
    return Optional.of("must be in " + (bounds.minExclusive() ? "(" : "[") + low + ", " + high
        + "], got " + number);
  }

  private static String text(double bound, boolean integral) {
    return integral ? Long.toString((long) bound) : Double.toString(bound);
  }
}
