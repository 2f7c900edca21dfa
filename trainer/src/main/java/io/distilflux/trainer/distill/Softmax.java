package io.distilflux.trainer.distill;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Row-wise softmax helpers on [B, K] logits, stable for large logits. */
final class Softmax {

  private Softmax() {}

  /** log softmax(x) per row, computed as x − max − log Σ exp(x − max). */
  static INDArray logSoftmax(INDArray logits) {
    INDArray shifted = logits.subColumnVector(logits.max(true, 1));
    INDArray logSumExp = Transforms.log(Transforms.exp(shifted, true).sum(true, 1), false);
    return shifted.subiColumnVector(logSumExp);
  }

  /** softmax(x) per row. */
  static INDArray softmax(INDArray logits) {
    return Transforms.exp(logSoftmax(logits), false);
  }

  /** Mean over rows of CE(p, softmax(x)) = −Σ_k p_k log softmax(x)_k. */
  static double meanCrossEntropy(INDArray targetProbabilities, INDArray logits) {
    return -targetProbabilities.mul(logSoftmax(logits)).sumNumber().doubleValue()
        / logits.size(0);
  }
}
