package io.distilflux.trainer.distill;

import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Which entries of {@code net.params()} are trained by gradient: 1 for weights, biases and
 * batch-norm γ/β, 0 for batch-norm running mean/variance. DL4J stores the running statistics in
 * the flat parameter vector and hands out "gradients" for them that are really
 * {@code running − new running average}; they are no loss gradients, so they must stay out of
 * the optimizer and of every hypergradient inner product.
 */
public final class TrainableMask {

  private final INDArray mask;
  private final long trainable;

  private TrainableMask(INDArray mask) {
    this.mask = mask;
    this.trainable = mask.sumNumber().longValue();
  }

  /** The mask of a network, located through each parameter view's offset in the flat vector. */
  public static TrainableMask of(MultiLayerNetwork network) {
    INDArray flat = network.params();
    long total = flat.length();
    INDArray mask = Nd4j.ones(flat.dataType(), total);
    for (Layer layer : network.getLayers()) {
      if (!(layer.conf().getLayer() instanceof BatchNormalization)) {
        continue;
      }
      for (Map.Entry<String, INDArray> param : layer.paramTable().entrySet()) {
        if (isRunningStatistic(param.getKey())) {
          long start = param.getValue().offset() - flat.offset();
          long end = start + param.getValue().length();
          if (start < 0 || end > total) {
            throw new IllegalStateException(
                "batch-norm parameter '" + param.getKey() + "' of layer " + layer.getIndex()
                    + " is not a view of the flat parameter vector");
          }
          mask.get(NDArrayIndex.interval(start, end)).assign(0);
        }
      }
    }
    return new TrainableMask(mask.reshape(flat.shape()));
  }

  private static boolean isRunningStatistic(String key) {
    return key.equals(BatchNormalizationParamInitializer.GLOBAL_MEAN)
        || key.equals(BatchNormalizationParamInitializer.GLOBAL_VAR)
        || key.equals(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
  }

  /** Array shaped like {@code net.params()} of 1 (trained) and 0 (running statistic). */
  public INDArray values() {
    return mask;
  }

  /** Number of trained entries. */
  public long trainableCount() {
    return trainable;
  }

  /** Number of entries in the flat vector. */
  public long totalCount() {
    return mask.length();
  }
}
