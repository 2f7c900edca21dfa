package io.distilflux.trainer.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;

/**
 * Converts a flag value to an enum constant by its lower-case, dash-separated name
 * ({@code no-distillation} → {@code NO_DISTILLATION}), case-insensitively; a wrong value names
 * the allowed ones.
 *
 * @param <E> the enum
 */
final class KebabEnumConverter<E extends Enum<E>> implements ITypeConverter<E> {

  private final Class<E> type;

  private KebabEnumConverter(Class<E> type) {
    this.type = type;
  }

  /** Registers a converter for each given enum on the command line and its subcommands. */
  @SafeVarargs
  static void register(CommandLine commandLine, Class<? extends Enum<?>>... types) {
    for (Class<? extends Enum<?>> type : types) {
      registerOne(commandLine, type);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void registerOne(CommandLine commandLine, Class type) {
    commandLine.registerConverter(type, new KebabEnumConverter<>(type));
  }

  /** The flag value of a constant: {@code NO_DISTILLATION} → {@code no-distillation}. */
  static String name(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The constant of a flag value, if there is one. */
  static <E extends Enum<E>> Optional<E> find(Class<E> type, String value) {
    String normalised = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    return Arrays.stream(type.getEnumConstants())
        .filter(constant -> constant.name().equals(normalised))
        .findFirst();
  }

  @Override
  public E convert(String value) {
    return find(type, value).orElseThrow(() -> new CommandLine.TypeConversionException(
        "unknown value '" + value + "' (one of " + String.join(", ",
            Arrays.stream(type.getEnumConstants()).map(KebabEnumConverter::name).toList()) + ")"));
  }
}
