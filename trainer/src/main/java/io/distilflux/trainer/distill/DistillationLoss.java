package io.distilflux.trainer.distill;

import io.distilflux.pipeline.event.MetaValues;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training loss of method.md §1 (paper eq. 4), averaged over the batch:
 *
 * <pre>
 *   L_train = λ1 · CE(y, softmax(z)) + λ2 · κ(T) · D(z, f; T)
 * </pre>
 *
 * with D the {@link Divergence} (forward: CE(softmax(f/T), softmax(z/T)), the paper's equation
 * and the default; reverse: KL(softmax(z/T) ‖ softmax(f/T)), the reference code's) and κ(T) = T²
 * when Hinton's factor is switched on, 1 otherwise (the default, as in the paper). Besides the
 * values it returns the output gradient ∂L/∂z and its derivatives with respect to λ1, λ2 and T,
 * the output-space vectors δ_CE, δ_KD, ∂T δ_KD of method.md §2 (eq. 11), all divided by the
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
    Rows out = new Rows(rows, k);
    evaluate(Softmax.values(logits), Softmax.values(labels), Softmax.values(teacherLogits), rows,
        values, out);
    DataType type = logits.dataType();
    return new Terms(
        out.total, out.crossEntropy, out.distillation,
        Softmax.matrix(out.outputGradient, rows, k, type),
        Softmax.matrix(out.lambda1Direction, rows, k, type),
        Softmax.matrix(out.lambda2Direction, rows, k, type),
        Softmax.matrix(out.temperatureDirection, rows, k, type));
  }

  /**
   * The same loss and output-space gradients on row-major Java arrays, into preallocated
   * buffers: the one implementation of the per-row kernel, which {@link #evaluate(INDArray,
   * INDArray, INDArray, MetaValues)} and the dense engine both call.
   *
   * @param z student logits [rows, K]
   * @param y one-hot labels [rows, K]
   * @param f teacher logits [rows, K]
   * @param rows the batch size B (the first {@code rows} rows are used)
   * @param out receives the values and the [rows, K] gradients; its capacity must cover rows
   */
  public void evaluate(double[] z, double[] y, double[] f, int rows, MetaValues values,
      Rows out) {
    double t = values.temperature();
    if (!(t > 0)) {
      throw new IllegalArgumentException("temperature must be positive, got " + t);
    }
    if (rows < 1 || rows > out.capacity) {
      throw new IllegalArgumentException(
          "rows must be in 1.." + out.capacity + ", got " + rows);
    }
    int k = out.classes;
    double batch = rows;
    double lambda1 = values.lambda1();
    double lambda2 = values.lambda2();
    double kappa = temperatureSquared ? t * t : 1.0;
    double kappaDerivative = temperatureSquared ? 2 * t : 0.0;
    double[] outputGradient = out.outputGradient;
    double[] crossEntropyDirection = out.lambda1Direction;
    double[] lambda2Direction = out.lambda2Direction;
    double[] temperatureDirection = out.temperatureDirection;
    double[] p = out.p;
    double[] logP = out.logP;
    TemperedRow tempered = out.tempered;
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
    out.crossEntropy = ceSum / batch;
    out.distillation = kdSum / batch;
    out.total = lambda1 * out.crossEntropy + lambda2 * kappa * out.distillation;
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

  /**
   * Buffers for {@link #evaluate(double[], double[], double[], int, MetaValues, Rows)} on up to
   * {@code capacity} rows of K classes, and its results: the loss values and the [rows, K]
   * output-space gradients of {@link Terms}, row-major, valid until the next evaluation.
   */
  public static final class Rows {
    private final int capacity;
    private final int classes;
    private final double[] outputGradient;
    private final double[] lambda1Direction;
    private final double[] lambda2Direction;
    private final double[] temperatureDirection;
    private final double[] p;
    private final double[] logP;
    private final TemperedRow tempered;
    private double total;
    private double crossEntropy;
    private double distillation;

    /** Buffers for up to {@code capacity} rows of {@code classes} logits. */
    public Rows(int capacity, int classes) {
      this.capacity = capacity;
      this.classes = classes;
      outputGradient = new double[capacity * classes];
      lambda1Direction = new double[capacity * classes];
      lambda2Direction = new double[capacity * classes];
      temperatureDirection = new double[capacity * classes];
      p = new double[classes];
      logP = new double[classes];
      tempered = new TemperedRow(classes);
    }

    /** L_train = λ1·CE + λ2·κ·KD. */
    public double total() {
      return total;
    }

    /** CE(y, softmax(z)), unweighted batch mean. */
    public double crossEntropy() {
      return crossEntropy;
    }

    /** The divergence D, unweighted batch mean (no κ). */
    public double distillation() {
      return distillation;
    }

    /** ∂L_train/∂z. */
    public double[] outputGradient() {
      return outputGradient;
    }

    /** δ_CE / B. */
    public double[] lambda1Direction() {
      return lambda1Direction;
    }

    /** κ δ_KD / B. */
    public double[] lambda2Direction() {
      return lambda2Direction;
    }

    /** λ2 (κ ∂T δ_KD + κ' δ_KD) / B. */
    public double[] temperatureDirection() {
      return temperatureDirection;
    }
  }
}
