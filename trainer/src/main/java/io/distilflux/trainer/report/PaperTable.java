package io.distilflux.trainer.report;

import io.distilflux.pipeline.event.RunConfig.DatasetKind;
import io.distilflux.pipeline.event.RunConfig.Mode;
import java.util.OptionalDouble;

/** The paper's Table 1 (docs/method.md §5): test accuracy without distillation and with the method. */
public final class PaperTable {

  private PaperTable() {}

  /** The published test accuracy of a mode on a dataset, where the paper reports one. */
  public static OptionalDouble accuracy(DatasetKind dataset, Mode mode) {
    return switch (dataset) {
      case SYNTHETIC -> mode == Mode.NO_DISTILLATION ? OptionalDouble.of(0.76)
          : mode == Mode.FORECAST ? OptionalDouble.of(0.83) : OptionalDouble.empty();
      case CIFAR10 -> mode == Mode.NO_DISTILLATION ? OptionalDouble.of(0.5465)
          : mode == Mode.FORECAST ? OptionalDouble.of(0.5961) : OptionalDouble.empty();
      case MNIST, CSV, NPY -> OptionalDouble.empty();
    };
  }
}
