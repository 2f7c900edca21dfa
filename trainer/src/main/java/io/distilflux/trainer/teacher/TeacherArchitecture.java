package io.distilflux.trainer.teacher;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;

/**
 * Builds a teacher network. The last layer must be a dense {@code OutputLayer} (softmax, MCXENT)
 * so that {@link TeacherTrainer#logits} can read its pre-activation.
 */
@FunctionalInterface
public interface TeacherArchitecture {

  /**
   * @param exampleShape shape of one input example, e.g. {3} or {3, 32, 32} (channels first)
   * @param classes number of classes K
   * @param seed weight initialisation seed
   * @param learningRate Adam learning rate
   * @return the configuration
   */
  MultiLayerConfiguration build(long[] exampleShape, int classes, long seed, double learningRate);
}
