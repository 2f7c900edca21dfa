package io.distilflux.trainer.complexity;

import java.util.Objects;

/**
 * The online variant of the experiment: a variational student of the distillation pipeline
 * whose complexity weight λ_c the meta-optimizer tuned while it trained (docs/complexity.md §3).
 *
 * @param startLambda λ_c at the first step
 * @param atEnd the student evaluated as the direct models are, at λ = λ_c of its last step
 * @param steps training steps
 * @param pipelineTestAccuracy the pipeline's own final test accuracy of the student (a
 *     cross-check of {@code atEnd.accuracy()})
 */
public record OnlineResult(double startLambda, ComplexityResult atEnd, long steps,
    double pipelineTestAccuracy) {

  /** Checks the result is of the online variant. */
  public OnlineResult {
    Objects.requireNonNull(atEnd, "atEnd");
    if (atEnd.variant() != Variant.ONLINE) {
      throw new IllegalArgumentException("not an online result: " + atEnd.variant());
    }
  }

  /** λ_c at the last step. */
  public double endLambda() {
    return atEnd.lambda();
  }
}
