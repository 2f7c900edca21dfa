package io.distilflux.trainer.structure;

import io.distilflux.trainer.complexity.Examples;

/**
 * The one-step hypergradient of the validation loss with respect to the structure logits
 * (docs/structure.md §7), the Gumbel noise and the temperature held fixed. After one virtual
 * gradient step w′ = w − β∇_w L_train(w, α) the validation loss F(α) = L_val(w′(α), α) has
 *
 * <pre>
 *   dF/dα = ∂_α L_val(w′, α) − β · ∂_α[∇_w L_train(w, α) · v],   v = ∇_w L_val(w′, α),
 * </pre>
 *
 * whose mixed second derivative is the central difference of ∂_α L_train at w ± εv,
 * ε = 0.01/‖v‖ (the second-order DARTS rule): exact up to O(ε²), which a test checks against
 * a central difference of F itself.
 */
public final class StructureHyperGradient {

  /**
   * A batch: examples {@code order[from … from + rows)} of {@code data}.
   *
   * @param data the examples
   * @param order an index permutation
   * @param from the first position in {@code order}
   * @param rows the batch size
   */
  public record Batch(Examples data, int[] order, int from, int rows) {}

  private final SupernetLoss loss;
  private final double[] virtual;
  private final double[] v;
  private final double[] shifted;
  private final double[] plus;
  private final double[] minus;
  private double normSquared = Double.NaN;

  /** Hypergradients of this loss's supernet. */
  public StructureHyperGradient(SupernetLoss loss) {
    this.loss = loss;
    int n = loss.net().parameterCount();
    virtual = new double[n];
    v = new double[n];
    shifted = new double[n];
    plus = new double[loss.net().structureSize()];
    minus = new double[loss.net().structureSize()];
  }

  /** ‖v‖² of v = ∇_w L_val(w′, α) at the latest {@link #compute}; NaN before the first. */
  public double validationGradientNormSquared() {
    return normSquared;
  }

  /**
   * dF/d(log α) into {@code out}, given the training gradient ∇_w L_train(w, α) already computed
   * for the same noise.
   *
   * @param trainGradient ∇_w L_train(w, α) on {@code train}
   * @param beta β, the virtual step's size
   * @return the validation loss after the virtual step, L_val(w′, α)
   */
  public double compute(double[] w, double[] logAlpha, double[] noise, double temperature,
      double[] trainGradient, Batch train, Batch validation, double beta, double[] out) {
    for (int k = 0; k < w.length; k++) {
      virtual[k] = w[k] - beta * trainGradient[k];
    }
    double value = loss.evaluate(virtual, logAlpha, noise, temperature, validation.data(),
        validation.order(), validation.from(), validation.rows(), v, out);
    double norm = 0;
    for (double x : v) {
      norm += x * x;
    }
    normSquared = norm;
    norm = Math.sqrt(norm);
    if (!(norm > 0) || beta == 0) {
      return value;
    }
    double eps = 0.01 / norm;
    for (int sign = -1; sign <= 1; sign += 2) {
      for (int k = 0; k < w.length; k++) {
        shifted[k] = w[k] + sign * eps * v[k];
      }
      loss.evaluate(shifted, logAlpha, noise, temperature, train.data(), train.order(),
          train.from(), train.rows(), null, sign > 0 ? plus : minus);
    }
    for (int j = 0; j < out.length; j++) {
      out[j] -= beta * (plus[j] - minus[j]) / (2 * eps);
    }
    return value;
  }
}
