package io.distilflux.trainer.distill;

import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.RunConfig.UnrolledDerivative;
import io.distilflux.trainer.model.HostArrays;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The student's optimizer, applied to the flat parameter vector {@code net.params()} rather than
 * through DL4J's updater, so that a step can be proposed without being taken (the virtual step
 * w' = U(w) of docs/method.md §2) and its state can be checkpointed.
 *
 * <p>An update is written w' = w − Δ(g). SGD: Δ = γ g. Adam (β1 = 0.9, β2 = 0.999, ε = 1e-8):
 * m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g², Δ = γ m̂ / (√v̂ + ε) with the usual bias corrections.
 * Only trainable entries (see {@link TrainableMask}) move by Δ; batch-norm running statistics are
 * set the way DL4J's no-op updater would, w ← w − g, which makes them the exponential running
 * average, and only in a real step.
 */
public final class InnerOptimizer {

  /** Adam's β1. */
  public static final double BETA1 = 0.9;
  /** Adam's β2. */
  public static final double BETA2 = 0.999;
  /** Adam's ε. */
  public static final double EPSILON = 1e-8;

  private final OptimizerKind kind;
  private final UnrolledDerivative unrolled;
  private final double learningRate;
  private final INDArray mask;
  private final double[] maskValues;
  /** Reused per step: g, Δ (or the derivative read back), m, v, m', v', ∂Δ/∂g. */
  private final double[][] buffers;
  private final float[] floats;
  private final INDArray runningStatistics;
  private INDArray firstMoment;
  private INDArray secondMoment;
  private long steps;

  /**
   * @param kind SGD or Adam
   * @param learningRate γ, positive
   * @param mask which entries are trained
   */
  public InnerOptimizer(OptimizerKind kind, double learningRate, TrainableMask mask) {
    this(kind, learningRate, mask, UnrolledDerivative.EXACT);
  }

  /**
   * @param kind SGD or Adam
   * @param learningRate γ, positive
   * @param mask which entries are trained
   * @param unrolled how {@link #sensitivity} differentiates the step: exactly, or as if it were
   *     an SGD step of rate γ
   */
  public InnerOptimizer(OptimizerKind kind, double learningRate, TrainableMask mask,
      UnrolledDerivative unrolled) {
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException(
          "inner learning rate must be positive and finite, got " + learningRate);
    }
    if (!kind.isInner()) {
      throw new IllegalArgumentException(kind + " is a meta-optimizer rule, not the student's");
    }
    this.kind = kind;
    this.unrolled = java.util.Objects.requireNonNull(unrolled, "unrolled");
    this.learningRate = learningRate;
    this.mask = mask.values();
    this.maskValues = HostArrays.read(this.mask);
    this.buffers = new double[7][maskValues.length];
    this.floats = new float[maskValues.length];
    this.runningStatistics = mask.runningStatistics();
    this.firstMoment = Nd4j.zeros(this.mask.dataType(), this.mask.shape());
    this.secondMoment = Nd4j.zeros(this.mask.dataType(), this.mask.shape());
  }

  /** SGD or Adam. */
  public OptimizerKind kind() {
    return kind;
  }

  /**
   * The rule whose derivative the hypergradient uses: the optimizer's own, or SGD's when the
   * unrolled derivative is {@link UnrolledDerivative#SGD}.
   */
  public static OptimizerKind differentiated(OptimizerKind kind, UnrolledDerivative unrolled) {
    return unrolled == UnrolledDerivative.SGD ? OptimizerKind.SGD : kind;
  }

  /** γ. */
  public double learningRate() {
    return learningRate;
  }

  /** The update the optimizer would make for gradient g from its current state, not applied. */
  public ProposedStep propose(INDArray gradient) {
    if (!Arrays.equals(gradient.shape(), mask.shape())) {
      throw new IllegalArgumentException(
          "gradient has shape " + Arrays.toString(gradient.shape()) + ", parameters "
              + Arrays.toString(mask.shape()));
    }
    long t = steps + 1;
    boolean single = mask.dataType() != DataType.DOUBLE;
    double[][] b = buffers;
    HostArrays.read(gradient, b[0], floats);
    if (kind == OptimizerKind.SGD) {
      propose(kind, learningRate, t, b[0], maskValues, null, null, b[1], null, null, null,
          single);
      return new ProposedStep(gradient, array(b[1]), firstMoment, secondMoment, t, null);
    }
    HostArrays.read(firstMoment, b[2], floats);
    HostArrays.read(secondMoment, b[3], floats);
    propose(kind, learningRate, t, b[0], maskValues, b[2], b[3], b[1], b[4], b[5], b[6],
        single);
    return new ProposedStep(gradient, array(b[1]), array(b[4]), array(b[5]), t, array(b[6]));
  }

  /**
   * The arithmetic of {@link #propose(INDArray)} on Java arrays, shared by the DL4J path and the
   * dense engine: Δ, the moments after the step and, for Adam, the diagonal of ∂Δ/∂g. Every
   * value written is rounded to the parameters' precision ({@code single}: float), as if stored
   * in the network's arrays, so that a step is the same whichever path takes it.
   *
   * @param mask 1 for trained entries, 0 for running statistics
   * @param m Adam's m before the step (unused for SGD)
   * @param v Adam's v before the step (unused for SGD)
   * @param mOut receives m after the step (Adam)
   * @param vOut receives v after the step (Adam)
   * @param derivative receives ∂Δ/∂g (Adam), or null when not needed
   */
  static void propose(OptimizerKind kind, double learningRate, long t, double[] g,
      double[] mask, double[] m, double[] v, double[] delta, double[] mOut, double[] vOut,
      double[] derivative, boolean single) {
    int n = mask.length;
    if (kind == OptimizerKind.SGD) {
      for (int i = 0; i < n; i++) {
        delta[i] = round(round(g[i] * mask[i], single) * learningRate, single);
      }
      return;
    }
    double firstCorrection = 1 - Math.pow(BETA1, t);
    double secondCorrection = 1 - Math.pow(BETA2, t);
    // ∂Δ/∂g (diagonal) = γ [c1 / (√v̂+ε) − c2 m̂ g / ((√v̂+ε)² √v̂)], c1 = (1−β1)/(1−β1^t),
    // c2 = (1−β2)/(1−β2^t). The second term is the dependence of v̂ on g; where v̂ = 0 also g = 0
    // and the term vanishes: g / max(√v̂, tiny) is 0 there, and dividing g first keeps every
    // intermediate representable in single precision.
    double c1 = (1 - BETA1) / firstCorrection;
    double c2 = (1 - BETA2) / secondCorrection;
    for (int i = 0; i < n; i++) {
      double gi = round(g[i] * mask[i], single);
      double mi = round(m[i] * BETA1 + gi * (1 - BETA1), single);
      double vi = round(v[i] * BETA2 + gi * gi * (1 - BETA2), single);
      mOut[i] = mi;
      vOut[i] = vi;
      double mHat = mi / firstCorrection;
      double sqrtVHat = Math.sqrt(vi / secondCorrection);
      double denominator = sqrtVHat + EPSILON;
      // × mask: an entry frozen after training began still carries momentum, which must not
      // move it (for running statistics m stays 0 and the product changes nothing)
      delta[i] = round(mHat / denominator * learningRate * mask[i], single);
      if (derivative != null) {
        double gOverSqrtVHat = gi / Math.max(sqrtVHat, 1e-30);
        derivative[i] = round((c1 / denominator
            - mHat * gOverSqrtVHat * c2 / (denominator * denominator)) * learningRate * mask[i],
            single);
      }
    }
  }

  /**
   * The arithmetic of {@link #sensitivity(ProposedStep, INDArray)} on Java arrays: u = γ P v
   * (SGD) or u = ∂Δ/∂g ⊙ v (Adam), rounded like {@link #propose(OptimizerKind, double, long,
   * double[], double[], double[], double[], double[], double[], double[], double[], boolean)}.
   */
  static void sensitivity(OptimizerKind kind, double learningRate, double[] mask,
      double[] derivative, double[] validationGradient, double[] u, boolean single) {
    for (int i = 0; i < mask.length; i++) {
      u[i] = kind == OptimizerKind.SGD
          ? round(round(validationGradient[i] * mask[i], single) * learningRate, single)
          : round(validationGradient[i] * derivative[i], single);
    }
  }

  /** {@code x} as stored in an array of the parameters' precision. */
  static double round(double x, boolean single) {
    return single ? (float) x : x;
  }

  private double[] read(INDArray array, double[] into) {
    HostArrays.read(array, into, floats);
    return into;
  }

  private INDArray array(double[] values) {
    INDArray out = Nd4j.create(mask.dataType(), mask.shape());
    HostArrays.write(values, out, floats);
    return out;
  }

  /**
   * w ← w − Δ on the trainable entries only, for a virtual step; the state is not advanced and
   * running statistics do not move.
   */
  public void applyVirtual(INDArray params, ProposedStep step) {
    params.subi(step.delta());
  }

  /** Takes the proposed step for real: moves w, sets running statistics, advances the state. */
  public void apply(INDArray params, ProposedStep step) {
    params.subi(step.delta());
    params.subi(step.gradient().mul(runningStatistics));
    firstMoment = step.firstMoment();
    secondMoment = step.secondMoment();
    steps = step.steps();
  }

  /**
   * (∂Δ/∂g)ᵀ v for the proposed step: the vector u with dL_val(w')/dλ = −⟨u, ∂g/∂λ⟩ (docs/method.md §2;
   * for Adam u = c·P v plus the exact correction for v̂'s dependence on g). Zero on running
   * statistics.
   */
  public INDArray sensitivity(ProposedStep step, INDArray validationGradient) {
    double[] u = buffers[2];
    sensitivity(differentiated(kind, unrolled), learningRate, maskValues,
        step.derivative() == null ? null : read(step.derivative(), buffers[1]),
        read(validationGradient, buffers[0]), u, mask.dataType() != DataType.DOUBLE);
    return array(u);
  }

  /** Copy of the state (m, v, t), for a checkpoint. */
  public OptimizerState state() {
    return new OptimizerState(firstMoment.dup(), secondMoment.dup(), steps);
  }

  /**
   * Restores a state taken by {@link #state()} (copied in).
   *
   * @throws IllegalArgumentException if the moments do not match the parameter vector
   */
  public void restore(OptimizerState state) {
    for (INDArray moment : new INDArray[] {state.firstMoment(), state.secondMoment()}) {
      if (moment.length() != mask.length()) {
        throw new IllegalArgumentException(
            "optimizer state has " + moment.length() + " entries, parameters "
                + mask.length());
      }
    }
    if (state.steps() < 0) {
      throw new IllegalArgumentException("optimizer state steps must be >= 0, got "
          + state.steps());
    }
    firstMoment = state.firstMoment().reshape(mask.shape()).castTo(mask.dataType()).dup();
    secondMoment = state.secondMoment().reshape(mask.shape()).castTo(mask.dataType()).dup();
    steps = state.steps();
  }

  /**
   * A step proposed from one gradient and the optimizer's state.
   *
   * @param gradient the raw gradient g (running-statistic entries included)
   * @param delta Δ, zero on running statistics
   * @param firstMoment m after this step
   * @param secondMoment v after this step
   * @param steps t after this step
   * @param derivative diagonal of ∂Δ/∂g for Adam; null for SGD (γ on trainable entries)
   */
  public record ProposedStep(
      INDArray gradient,
      INDArray delta,
      INDArray firstMoment,
      INDArray secondMoment,
      long steps,
      INDArray derivative) {}
}
