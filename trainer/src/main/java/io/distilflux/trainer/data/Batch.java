package io.distilflux.trainer.data;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A mini-batch of the student's training set with the teacher's logits for the same examples.
 * The arrays may be views into buffers reused by the next batch: copy what must outlive it.
 *
 * @param features student inputs [B, ...]
 * @param labels one-hot labels [B, K]
 * @param teacherLogits the teacher's logits f(x) for the same examples [B, K]
 */
public record Batch(INDArray features, INDArray labels, INDArray teacherLogits) {

  /** Number of examples in the batch. */
  public int size() {
    return (int) features.size(0);
  }
}
