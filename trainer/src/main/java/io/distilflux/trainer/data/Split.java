package io.distilflux.trainer.data;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Examples of one split: features (first dimension = example) and one-hot labels [n, classes].
 *
 * @param features inputs, shape [n, ...]
 * @param labels one-hot labels, shape [n, classes]
 */
public record Split(INDArray features, INDArray labels) {

  /** Number of examples. */
  public int size() {
    return (int) features.size(0);
  }
}
