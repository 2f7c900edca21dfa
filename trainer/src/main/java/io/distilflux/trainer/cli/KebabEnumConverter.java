package io.distilflux.trainer.cli;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.trainer.run.OnMetaTimeout;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;

/**
 * Converts a flag value to an enum constant by its lower-case, dash-separated name
 * ({@code no-distillation} → {@code NO_DISTILLATION}), case-insensitively; a wrong value names
 * the allowed ones. Options name one of the subclasses as their {@code converter}, so any
 * {@code CommandLine} parses them alike.
 *
 * @param <E> the enum
 */
abstract class KebabEnumConverter<E extends Enum<E>> implements ITypeConverter<E> {

  private final Class<E> type;

  KebabEnumConverter(Class<E> type) {
    this.type = type;
  }

  /** {@code synthetic}, {@code cifar10}, {@code mnist}. */
  static final class Datasets extends KebabEnumConverter<RunConfig.DatasetKind> {
    Datasets() {
      super(RunConfig.DatasetKind.class);
    }
  }

  /** {@code sgd}, {@code adam}, {@code normalized}. */
  static final class Optimizers extends KebabEnumConverter<RunConfig.OptimizerKind> {
    Optimizers() {
      super(RunConfig.OptimizerKind.class);
    }
  }

  /** {@code forward}, {@code reverse}. */
  static final class Divergences extends KebabEnumConverter<RunConfig.Divergence> {
    Divergences() {
      super(RunConfig.Divergence.class);
    }
  }

  /** {@code exact}, {@code sgd}. */
  static final class UnrolledDerivatives extends KebabEnumConverter<RunConfig.UnrolledDerivative> {
    UnrolledDerivatives() {
      super(RunConfig.UnrolledDerivative.class);
    }
  }

  /** {@code direct}, {@code linear-fine-tuned}, … */
  static final class ComplexityVariants
      extends KebabEnumConverter<io.distilflux.trainer.complexity.Variant> {
    ComplexityVariants() {
      super(io.distilflux.trainer.complexity.Variant.class);
    }
  }

  /** {@code raw}, {@code log}. */
  static final class LambdaInputs
      extends KebabEnumConverter<io.distilflux.trainer.complexity.LambdaInput> {
    LambdaInputs() {
      super(io.distilflux.trainer.complexity.LambdaInput.class);
    }
  }

  /** {@code kafka}, {@code direct}. */
  /** {@code adam}, {@code sgd}. */
  static final class ComplexityOptimizers
      extends KebabEnumConverter<io.distilflux.trainer.complexity.Optimizer.Kind> {
    ComplexityOptimizers() {
      super(io.distilflux.trainer.complexity.Optimizer.Kind.class);
    }
  }

  static final class Transports extends KebabEnumConverter<ExperimentSpec.Transport> {
    Transports() {
      super(ExperimentSpec.Transport.class);
    }
  }

  /** {@code in-process}, {@code external}. */
  static final class ServiceSites extends KebabEnumConverter<ExperimentSpec.Services> {
    ServiceSites() {
      super(ExperimentSpec.Services.class);
    }
  }

  /** {@code fail}, {@code hold}. */
  static final class MetaTimeoutActions extends KebabEnumConverter<OnMetaTimeout> {
    MetaTimeoutActions() {
      super(OnMetaTimeout.class);
    }
  }

  /** {@code paper}. */
  static final class Protocols extends KebabEnumConverter<Protocol> {
    Protocols() {
      super(Protocol.class);
    }
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
