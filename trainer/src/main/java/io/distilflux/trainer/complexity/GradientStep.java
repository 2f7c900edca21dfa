package io.distilflux.trainer.complexity;

/**
 * One optimizer step of a flat parameter vector along its gradient ({@link Adam},
 * {@link SgdMomentum}).
 */
public interface GradientStep {

  /** Moves {@code parameters} one step against {@code gradient}, updating the step's state. */
  void step(double[] parameters, double[] gradient);
}
