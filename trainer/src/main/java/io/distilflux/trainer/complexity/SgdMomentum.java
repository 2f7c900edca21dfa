package io.distilflux.trainer.complexity;

/**
 * SGD with heavy-ball momentum on a flat {@code double[]}, after clipping every gradient entry to
 * [−clip, clip]: v ← m·v + g, w ← w − η·v (the convention of PyTorch's SGD, no dampening).
 */
public final class SgdMomentum implements GradientStep {

  private final double learningRate;
  private final double momentum;
  private final double clip;
  private final double[] velocity;

  /**
   * @param size length of the parameter vector
   * @param learningRate the step size η
   * @param momentum m in [0, 1)
   * @param clip gradient clipping by value
   */
  public SgdMomentum(int size, double learningRate, double momentum, double clip) {
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.clip = clip;
    this.velocity = new double[size];
  }

  @Override
  public void step(double[] parameters, double[] gradient) {
    for (int k = 0; k < parameters.length; k++) {
      double g = Math.max(-clip, Math.min(clip, gradient[k]));
      velocity[k] = momentum * velocity[k] + g;
      parameters[k] -= learningRate * velocity[k];
    }
  }
}
