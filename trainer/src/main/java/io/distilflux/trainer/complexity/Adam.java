package io.distilflux.trainer.complexity;

/**
 * Adam (β1 = 0.9, β2 = 0.999, ε = 1e-8, bias-corrected) on a flat {@code double[]}, after
 * clipping every gradient entry to [−clip, clip] (gradient clipping by value).
 */
public final class Adam implements GradientStep {

  private final double learningRate;
  private final double clip;
  private final double[] first;
  private final double[] second;
  private long steps;

  /**
   * @param size length of the parameter vector
   * @param learningRate the step size
   * @param clip gradient clipping by value
   */
  public Adam(int size, double learningRate, double clip) {
    this.learningRate = learningRate;
    this.clip = clip;
    this.first = new double[size];
    this.second = new double[size];
  }

  /** An independent copy of this optimizer and its state (moments and step count). */
  public Adam copy() {
    Adam copy = new Adam(first.length, learningRate, clip);
    System.arraycopy(first, 0, copy.first, 0, first.length);
    System.arraycopy(second, 0, copy.second, 0, second.length);
    copy.steps = steps;
    return copy;
  }

  /** One step of {@code parameters} along the (clipped) {@code gradient}. */
  @Override
  public void step(double[] parameters, double[] gradient) {
    step(parameters, gradient, null);
  }

  /**
   * One step in which only the entries with {@code mask[k] = 1} move (w ← w − α⊙Δ); the moments
   * of every entry still advance, so a frozen entry resumes with a current state when unfrozen.
   *
   * @param mask α, one entry per parameter (1 trained, 0 frozen); null trains every entry
   */
  public void step(double[] parameters, double[] gradient, double[] mask) {
    if (mask != null && mask.length != parameters.length) {
      throw new IllegalArgumentException("mask has " + mask.length + " entries, parameters "
          + parameters.length);
    }
    steps++;
    double c1 = 1 - Math.pow(0.9, steps);
    double c2 = 1 - Math.pow(0.999, steps);
    for (int k = 0; k < parameters.length; k++) {
      double g = Math.max(-clip, Math.min(clip, gradient[k]));
      first[k] = 0.9 * first[k] + 0.1 * g;
      second[k] = 0.999 * second[k] + 0.001 * g * g;
      double delta = learningRate * (first[k] / c1) / (Math.sqrt(second[k] / c2) + 1e-8);
      parameters[k] -= mask == null ? delta : mask[k] * delta;
    }
  }
}
