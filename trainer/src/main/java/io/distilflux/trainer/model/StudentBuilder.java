package io.distilflux.trainer.model;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Builds the DL4J configuration of one student architecture. The last layer must output logits
 * (identity activation, no OutputLayer) so that the distillation loss can feed its own output
 * gradient to {@code backpropGradient}.
 */
@FunctionalInterface
public interface StudentBuilder {

  /**
   * @param featureShape shape of one example without the batch dimension: {@code [nIn]} for
   *     flat inputs, {@code [channels, height, width]} for images
   * @param classes number of classes K (width of the logits)
   * @param seed weight-initialisation seed
   * @param dataType floating-point type of the parameters and activations
   * @return the configuration, not yet initialised
   */
  MultiLayerConfiguration build(long[] featureShape, int classes, long seed, DataType dataType);
}
