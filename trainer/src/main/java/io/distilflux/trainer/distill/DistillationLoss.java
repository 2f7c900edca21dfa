package io.distilflux.trainer.distill;

import io.distilflux.pipeline.event.MetaValues;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training loss of docs/method.md §1 (paper eq. 4), averaged over the batch:
 *
 * <pre>
 *   L_train = λ1 · CE(y, softmax(z)) + λ2 · κ(T) · D(z, f; T)
 * </pre>
 *
 * with D the {@link Divergence} (forward: CE(softmax(f/T), softmax(z/T)), the paper's equation
 * and the default; reverse: KL(softmax(z/T) ‖ softmax(f/T)), the reference code's) and κ(T) = T²
 * when Hinton's factor is switched on, 1 otherwise (the default, as in the paper). Besides the
 * values it returns the output gradient ∂L/∂z and its derivatives with respect to λ1, λ2 and T,
 * the output-space vectors δ_CE, δ_KD, ∂T δ_KD of docs/method.md §2 (eq. 11), all divided by the
 * batch size B so that they belong to the batch mean.
 */
public final class DistillationLoss {

  private final boolean temperatureSquared;
  private final Divergence divergence;

  /**
   * The paper's forward divergence.
   *
   * @param temperatureSquared multiply the distillation term by T² (Hinton); off in the paper
   */
  public DistillationLoss(boolean temperatureSquared) {
    this(temperatureSquared, Divergence.forward());
  }

  /**
   * @param temperatureSquared multiply the distillation term by T² (Hinton); off in the paper
   * @param divergence the distillation term D
   */
  public DistillationLoss(boolean temperatureSquared, Divergence divergence) {
    this.temperatureSquared = temperatureSquared;
    this.divergence = java.util.Objects.requireNonNull(divergence, "divergence");
  }

  /** Whether the distillation term carries Hinton's T² factor. */
  public boolean temperatureSquared() {
    return temperatureSquared;
  }

  /** The distillation term D. */
  public Divergence divergence() {
    return divergence;
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
    if (logits.rank() != 2) {
      throw new IllegalArgumentException("logits must be [B, K], got rank " + logits.rank());
    }
    // [B, K] is small: plain loops in double beat the few dozen libnd4j ops of the same
    // formulas (2.2 ms at B = 128, K = 10, about a tenth of a CIFAR training step)
    int rows = Math.toIntExact(logits.size(0));
    int k = Math.toIntExact(logits.size(1));
    double[] z = Softmax.values(logits);
    double[] y = Softmax.values(labels);
    double[] f = Softmax.values(teacherLogits);
    double batch = rows;
    double lambda1 = values.lambda1();
    double lambda2 = values.lambda2();
    double kappa = temperatureSquared ? t * t : 1.0;
    double kappaDerivative = temperatureSquared ? 2 * t : 0.0;
    double[] outputGradient = new double[rows * k];
    double[] crossEntropyDirection = new double[rows * k];
    double[] lambda2Direction = new double[rows * k];
    double[] temperatureDirection = new double[rows * k];
    double[] p = new double[k];
    double[] logP = new double[k];
    TemperedRow tempered = new TemperedRow(k);
    double ceSum = 0;
    double kdSum = 0;
    for (int r = 0; r < rows; r++) {
      int row = r * k;
      Softmax.softmax(z, row, k, 1.0, p, logP);
      tempered.fill(z, f, row, k, t);
      // the kernel writes δ_KD into lambda2Direction and ∂T δ_KD into temperatureDirection;
      // both are scaled in place below
      kdSum += divergence.row(tempered, lambda2Direction, temperatureDirection, row);
      for (int i = 0; i < k; i++) {
        int at = row + i;
        ceSum -= y[at] * logP[i];
        double ce = (p[i] - y[at]) / batch;
        double kdDelta = lambda2Direction[at] / batch;
        double kdDeltaDerivative = temperatureDirection[at] / batch;
        crossEntropyDirection[at] = ce;
        lambda2Direction[at] = kdDelta * kappa;
        // ∂T [λ2 κ δ_KD] = λ2 (κ ∂T δ_KD + κ' δ_KD)
        temperatureDirection[at] =
            (kdDeltaDerivative * kappa + kdDelta * kappaDerivative) * lambda2;
        outputGradient[at] = ce * lambda1 + kdDelta * kappa * lambda2;
      }
    }
    double ce = ceSum / batch;
    double kd = kdSum / batch;
    double total = lambda1 * ce + lambda2 * kappa * kd;
    DataType type = logits.dataType();
    return new Terms(
        total, ce, kd, Softmax.matrix(outputGradient, rows, k, type),
        Softmax.matrix(crossEntropyDirection, rows, k, type),
        Softmax.matrix(lambda2Direction, rows, k, type),
        Softmax.matrix(temperatureDirection, rows, k, type));
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
   * @param distillation the divergence D, unweighted batch mean (no κ)
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
