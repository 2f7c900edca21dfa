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
  private final INDArray runningStatistics;
  private final long trainable;

  private TrainableMask(INDArray mask, INDArray runningStatistics) {
    this.mask = mask;
    this.runningStatistics = runningStatistics;
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
    INDArray shaped = mask.reshape(flat.shape());
    return new TrainableMask(shaped, shaped.rsub(1.0));
  }

  private static boolean isRunningStatistic(String key) {
    return key.equals(BatchNormalizationParamInitializer.GLOBAL_MEAN)
        || key.equals(BatchNormalizationParamInitializer.GLOBAL_VAR)
        || key.equals(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
  }

  /**
   * This mask with the entries where {@code alpha} is 0 frozen as well: the mask α of freezing
   * (docs/structure.md §3). An optimizer built on it leaves frozen entries where they are in
   * every real step, and its virtual step and sensitivity (the P ⊙ α of the hypergradient) are
   * zero there too, so the hypergradient sees the same frozen update.
   *
   * @param alpha one entry per parameter of {@code net.params()}'s flat order, each 0 or 1
   */
  public TrainableMask freezing(double[] alpha) {
    if (alpha.length != mask.length()) {
      throw new IllegalArgumentException("freezing mask has " + alpha.length
          + " entries, parameters " + mask.length());
    }
    for (double a : alpha) {
      if (a != 0 && a != 1) {
        throw new IllegalArgumentException("freezing mask entries must be 0 or 1, got " + a);
      }
    }
    INDArray keep = Nd4j.create(alpha).castTo(mask.dataType()).reshape(mask.shape());
    // a frozen entry is not a running statistic: it must stay put, not follow w ← w − g
    return new TrainableMask(mask.mul(keep), runningStatistics);
  }

  /** Array shaped like {@code net.params()} of 1 (trained) and 0 (running statistic, frozen). */
  public INDArray values() {
    return mask;
  }

  /**
   * Array shaped like {@code net.params()} of 1 on batch-norm running statistics and 0
   * elsewhere (frozen entries included).
   */
  public INDArray runningStatistics() {
    return runningStatistics;
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
