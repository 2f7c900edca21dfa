package io.distilflux.trainer.distill;

import java.util.Locale;

/**
 * The distillation term D(z, f; T) of one sample, between the student's softened distribution
 * s = softmax(z/T) and the teacher's q = softmax(f/T), with the output-space derivatives the
 * one-step hypergradient needs (method.md §2): δ = ∂D/∂z and ∂T δ. {@link DistillationLoss}
 * calls one kernel per row, so every compute path shares it. Implementations are stateless.
 */
public interface Divergence {

  /** The forward term CE(q, s) = −Σ q log s, the paper's equation (KL(q ‖ s) up to H(q)). */
  static Divergence forward() {
    return ForwardDivergence.INSTANCE;
  }

  /**
   * The reverse term KL(s ‖ q) = Σ s (log s − log q), the one the reference implementation
   * computes ({@code KLDivLoss(log_softmax(f/T), softmax(z/T))}).
   */
  static Divergence reverse() {
    return ReverseDivergence.INSTANCE;
  }

  /**
   * The divergence of a command-line or configuration name, {@code forward} or {@code reverse}.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  static Divergence named(String name) {
    return switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
      case "forward" -> forward();
      case "reverse" -> reverse();
      default -> throw new IllegalArgumentException(
          "divergence must be forward or reverse, got '" + name + "'");
    };
  }

  /** The kernel of a configuration's divergence. */
  static Divergence of(io.distilflux.pipeline.event.RunConfig.Divergence kind) {
    return switch (kind) {
      case FORWARD -> forward();
      case REVERSE -> reverse();
    };
  }

  /** The name {@link #named} reads. */
  String name();

  /**
   * One row: the value D and, into {@code delta[at + i]} and {@code temperatureDelta[at + i]}
   * for i &lt; k, δ_i = ∂D/∂z_i and ∂T δ_i (per sample, not divided by the batch size).
   *
   * @param row s, q, their logarithms and T-derivatives of the row, filled by {@link
   *     TemperedRow#fill}
   */
  double row(TemperedRow row, double[] delta, double[] temperatureDelta, int at);
}
