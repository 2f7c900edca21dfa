package io.distilflux.trainer.distill;

import io.distilflux.pipeline.event.MetaValues;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training loss of method.md §1 (paper eq. 4), averaged over the batch:
 *
 * <pre>
 *   L_train = λ1 · CE(y, softmax(z)) + λ2 · κ(T) · CE(softmax(f/T), softmax(z/T))
 * </pre>
 *
 * with κ(T) = T² when Hinton's factor is switched on, 1 otherwise (the default, as in the paper).
 * Besides the values it returns the output gradient ∂L/∂z and its derivatives with respect to λ1,
 * λ2 and T, the output-space vectors δ_CE, δ_KD, ∂T δ_KD of method.md §2 (eq. 11), all divided
 * by the batch size B so that they belong to the batch mean.
 */
public final class DistillationLoss {

  private final boolean temperatureSquared;

  /**
   * @param temperatureSquared multiply the distillation term by T² (Hinton); off in the paper
   */
  public DistillationLoss(boolean temperatureSquared) {
    this.temperatureSquared = temperatureSquared;
  }

  /** Whether the distillation term carries Hinton's T² factor. */
  public boolean temperatureSquared() {
    return temperatureSquared;
  }

  /**
   * Loss and output-space gradients of one batch.
   *
   * @param logits student logits z [B, K]
   * @param labels one-hot labels y [B, K]
   * @param teacherLogits teacher logits f [B, K]
   * @param values λ1, λ2, T
   * @throws IllegalArgumentException naming the argument whose shape differs from the logits
   */
  public Terms evaluate(
      INDArray logits, INDArray labels, INDArray teacherLogits, MetaValues values) {
    requireSameShape("labels", labels, logits);
    requireSameShape("teacherLogits", teacherLogits, logits);
    double t = values.temperature();
    if (!(t > 0)) {
      throw new IllegalArgumentException("temperature must be positive, got " + t);
    }
    double batch = logits.size(0);

    INDArray p = Softmax.softmax(logits);
    double ce = Softmax.meanCrossEntropy(labels, logits);
    INDArray crossEntropyDirection = p.sub(labels).divi(batch);

    INDArray zOverT = logits.div(t);
    INDArray fOverT = teacherLogits.div(t);
    INDArray s = Softmax.softmax(zOverT);
    INDArray q = Softmax.softmax(fOverT);
    double kd = Softmax.meanCrossEntropy(q, zOverT);
    INDArray sMinusQ = s.sub(q);
    // δ_KD = (s − q) / T
    INDArray kdDelta = sMinusQ.div(t * batch);
    // ∂T s = −(1/T²) s ⊙ (z − ⟨s, z⟩), likewise for q with f (method.md §2)
    INDArray dsdT = centred(s, logits).muli(-1.0 / (t * t));
    INDArray dqdT = centred(q, teacherLogits).muli(-1.0 / (t * t));
    // ∂T δ_KD = −(s − q)/T² + (∂T s − ∂T q)/T
    INDArray kdDeltaDerivative =
        sMinusQ.mul(-1.0 / (t * t)).addi(dsdT.subi(dqdT).divi(t)).divi(batch);

    double kappa = temperatureSquared ? t * t : 1.0;
    double kappaDerivative = temperatureSquared ? 2 * t : 0.0;
    INDArray lambda2Direction = kdDelta.mul(kappa);
    // ∂T [λ2 κ δ_KD] = λ2 (κ ∂T δ_KD + κ' δ_KD)
    INDArray temperatureDirection =
        kdDeltaDerivative.muli(kappa).addi(kdDelta.mul(kappaDerivative)).muli(values.lambda2());
    INDArray outputGradient =
        crossEntropyDirection.mul(values.lambda1()).addi(lambda2Direction.mul(values.lambda2()));
    double total = values.lambda1() * ce + values.lambda2() * kappa * kd;
    return new Terms(
        total, ce, kd, outputGradient, crossEntropyDirection, lambda2Direction,
        temperatureDirection);
  }

  /** x ⊙ (v − ⟨x, v⟩) per row. */
  private static INDArray centred(INDArray x, INDArray v) {
    INDArray mean = x.mul(v).sum(true, 1);
    return v.subColumnVector(mean).muli(x);
  }

  private static void requireSameShape(String name, INDArray array, INDArray logits) {
    if (!java.util.Arrays.equals(array.shape(), logits.shape())) {
      throw new IllegalArgumentException(
          name + " has shape " + java.util.Arrays.toString(array.shape())
              + " but the student logits have " + java.util.Arrays.toString(logits.shape()));
    }
  }

  /**
   * Loss values and output-space gradients of one batch (all gradients are of the batch mean).
   *
   * @param total L_train = λ1·CE + λ2·κ·KD
   * @param crossEntropy CE(y, softmax(z)), unweighted batch mean
   * @param distillation CE(softmax(f/T), softmax(z/T)), unweighted batch mean (no κ)
   * @param outputGradient ∂L_train/∂z [B, K]
   * @param lambda1Direction ∂(∂L_train/∂z)/∂λ1 = δ_CE / B
   * @param lambda2Direction ∂(∂L_train/∂z)/∂λ2 = κ δ_KD / B
   * @param temperatureDirection ∂(∂L_train/∂z)/∂T = λ2 (κ ∂T δ_KD + κ' δ_KD) / B
   */
  public record Terms(
      double total,
      double crossEntropy,
      double distillation,
      INDArray outputGradient,
      INDArray lambda1Direction,
      INDArray lambda2Direction,
      INDArray temperatureDirection) {}
}
