package io.distilflux.trainer.model;

import java.util.Optional;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * A stack of plain dense layers (identity or ReLU, bias, no dropout, no preprocessors) computed
 * on Java arrays in double precision: the forward, the backward to the flat parameter gradient
 * and the forward-mode tangent J·u of the logits. Parameters are read from a {@code double[]} in
 * DL4J's flat layout (per layer W [nIn, nOut] in column-major order, then b), so a gradient or a
 * direction indexes like {@code net.params()}.
 *
 * <p>Each layer's loops are one fixed order of additions, so results are reproducible bit for
 * bit. Instances are immutable; the per-batch buffers live in {@link Activations}.
 */
public final class DenseStack {

  private final int[] widths;
  private final boolean[] relu;
  private final int[] weightOffsets;
  private final int parameterCount;

  private DenseStack(int[] widths, boolean[] relu) {
    this.widths = widths;
    this.relu = relu;
    this.weightOffsets = new int[relu.length];
    int offset = 0;
    for (int l = 0; l < relu.length; l++) {
      weightOffsets[l] = offset;
      offset += (widths[l] + 1) * widths[l + 1];
    }
    this.parameterCount = offset;
  }

  /**
   * The stack of a student made only of plain dense layers whose last layer outputs the logits
   * (what {@code DenseTangent} and the dense engine support), or empty.
   */
  public static Optional<DenseStack> ofStudent(MultiLayerNetwork network) {
    return of(network, false);
  }

  /**
   * The stack of a teacher made of plain dense layers and a final softmax/cross-entropy {@code
   * OutputLayer} (the logits being its pre-activation), with no regularization or gradient
   * normalization anywhere (so that DL4J's {@code fit} is plain gradient descent on the mean
   * cross-entropy), or empty.
   */
  public static Optional<DenseStack> ofTeacher(MultiLayerNetwork network) {
    return of(network, true);
  }

  private static Optional<DenseStack> of(MultiLayerNetwork network, boolean softmaxOutput) {
    Layer[] layers = network.getLayers();
    if (layers == null || layers.length == 0) {
      return Optional.empty();
    }
    int[] widths = new int[layers.length + 1];
    boolean[] relu = new boolean[layers.length];
    for (int i = 0; i < layers.length; i++) {
      org.deeplearning4j.nn.conf.layers.Layer conf = layers[i].conf().getLayer();
      boolean last = i == layers.length - 1;
      if (network.getLayerWiseConfigurations().getInputPreProcess(i) != null
          || !(conf instanceof BaseLayer base) || base.getIDropout() != null
          || base.getWeightNoise() != null) {
        return Optional.empty();
      }
      if (softmaxOutput && !plainDescent(base)) {
        return Optional.empty();
      }
      boolean plainDense = conf.getClass() == DenseLayer.class
          && ((DenseLayer) conf).hasBias() && !((DenseLayer) conf).hasLayerNorm()
          && hiddenActivation(base.getActivationFn());
      boolean output = softmaxOutput && last && conf.getClass() == OutputLayer.class
          && ((OutputLayer) conf).hasBias()
          && base.getActivationFn() instanceof ActivationSoftmax
          && ((OutputLayer) conf).getLossFn() instanceof LossMCXENT loss
          && loss.getWeights() == null;
      if (!(last && softmaxOutput ? output : plainDense)) {
        return Optional.empty();
      }
      long nIn = ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) conf).getNIn();
      long nOut = ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) conf).getNOut();
      if (i > 0 && nIn != widths[i]) {
        return Optional.empty();
      }
      widths[i] = Math.toIntExact(nIn);
      widths[i + 1] = Math.toIntExact(nOut);
      relu[i] = !output && base.getActivationFn() instanceof ActivationReLU;
    }
    DenseStack stack = new DenseStack(widths, relu);
    return stack.parameterCount == network.numParams() ? Optional.of(stack) : Optional.empty();
  }

  private static boolean hiddenActivation(IActivation activation) {
    return activation instanceof ActivationIdentity || activation instanceof ActivationReLU;
  }

  private static boolean plainDescent(BaseLayer layer) {
    return (layer.getRegularization() == null || layer.getRegularization().isEmpty())
        && (layer.getRegularizationBias() == null || layer.getRegularizationBias().isEmpty())
        && layer.getGradientNormalization()
            == org.deeplearning4j.nn.conf.GradientNormalization.None
        && (layer.getConstraints() == null || layer.getConstraints().isEmpty());
  }

  /** Number of layers. */
  public int layers() {
    return relu.length;
  }

  /** Input features per example. */
  public int inputWidth() {
    return widths[0];
  }

  /** Logits per example (classes). */
  public int outputWidth() {
    return widths[widths.length - 1];
  }

  /** Length of the flat parameter vector. */
  public int parameterCount() {
    return parameterCount;
  }

  /** Multiply-adds of one forward per example (the weights' count). */
  public long multiplyAddsPerExample() {
    long sum = 0;
    for (int l = 0; l < relu.length; l++) {
      sum += (long) widths[l] * widths[l + 1];
    }
    return sum;
  }

  /** Buffers for batches of up to {@code capacity} examples. */
  public Activations activations(int capacity) {
    return new Activations(capacity);
  }

  /**
   * Forward of the first {@code rows} examples of {@code a.input()} at parameters {@code w}; the
   * logits land in {@code a.logits()} and every layer's output is kept for {@link #backward} and
   * {@link #tangent}.
   */
  public void forward(double[] w, Activations a, int rows) {
    a.check(rows);
    for (int l = 0; l < relu.length; l++) {
      int nIn = widths[l];
      int nOut = widths[l + 1];
      int wo = weightOffsets[l];
      int bo = wo + nIn * nOut;
      double[] in = a.values[l];
      double[] out = a.values[l + 1];
      boolean r = relu[l];
      for (int row = 0; row < rows; row++) {
        int ri = row * nIn;
        int ro = row * nOut;
        for (int j = 0; j < nOut; j++) {
          int col = wo + j * nIn;
          double s = w[bo + j];
          for (int i = 0; i < nIn; i++) {
            s += in[ri + i] * w[col + i];
          }
          out[ro + j] = r && !(s > 0) ? 0.0 : s;
        }
      }
    }
  }

  /**
   * ∇w of the loss whose gradient with respect to the logits of the latest {@link #forward} of
   * {@code a} is {@code outputGradient} [rows, K], into {@code gradient} (overwritten).
   */
  public void backward(double[] w, Activations a, int rows, double[] outputGradient,
      double[] gradient) {
    a.check(rows);
    java.util.Arrays.fill(gradient, 0, parameterCount, 0.0);
    int last = relu.length;
    System.arraycopy(outputGradient, 0, a.deltas[last], 0, rows * widths[last]);
    for (int l = last - 1; l >= 0; l--) {
      int nIn = widths[l];
      int nOut = widths[l + 1];
      int wo = weightOffsets[l];
      int bo = wo + nIn * nOut;
      double[] in = a.values[l];
      double[] delta = a.deltas[l + 1];
      for (int row = 0; row < rows; row++) {
        int ri = row * nIn;
        int ro = row * nOut;
        for (int j = 0; j < nOut; j++) {
          double d = delta[ro + j];
          int col = wo + j * nIn;
          for (int i = 0; i < nIn; i++) {
            gradient[col + i] += d * in[ri + i];
          }
          gradient[bo + j] += d;
        }
      }
      if (l == 0) {
        break;
      }
      double[] previous = a.deltas[l];
      boolean r = relu[l - 1];
      for (int row = 0; row < rows; row++) {
        int ri = row * nIn;
        int ro = row * nOut;
        java.util.Arrays.fill(previous, ri, ri + nIn, 0.0);
        for (int j = 0; j < nOut; j++) {
          double d = delta[ro + j];
          int col = wo + j * nIn;
          for (int i = 0; i < nIn; i++) {
            previous[ri + i] += d * w[col + i];
          }
        }
        if (r) {
          // ReLU passes where its output is positive, as DL4J's backward does
          for (int i = 0; i < nIn; i++) {
            if (!(in[ri + i] > 0)) {
              previous[ri + i] = 0.0;
            }
          }
        }
      }
    }
  }

  /**
   * The exact J·u of the logits of the latest {@link #forward} of {@code a} along the parameter
   * direction {@code u} (same layout as w), at the parameters that forward read, into {@code
   * out} [rows, K]. Layer by layer ż = ȧW + aU + u_b and ȧ' = relu'(z)·ż, with ȧ = 0 at the
   * input.
   */
  public void tangent(double[] w, double[] u, Activations a, int rows, double[] out) {
    a.check(rows);
    for (int l = 0; l < relu.length; l++) {
      int nIn = widths[l];
      int nOut = widths[l + 1];
      int wo = weightOffsets[l];
      int bo = wo + nIn * nOut;
      double[] in = a.values[l];
      double[] tangentIn = a.tangents[l];
      double[] tangentOut = l == relu.length - 1 ? out : a.tangents[l + 1];
      double[] after = a.values[l + 1];
      boolean r = relu[l];
      for (int row = 0; row < rows; row++) {
        int ri = row * nIn;
        int ro = row * nOut;
        for (int j = 0; j < nOut; j++) {
          int col = wo + j * nIn;
          double s = u[bo + j];
          for (int i = 0; i < nIn; i++) {
            s += in[ri + i] * u[col + i];
          }
          if (l > 0) {
            for (int i = 0; i < nIn; i++) {
              s += tangentIn[ri + i] * w[col + i];
            }
          }
          tangentOut[ro + j] = r && !(after[ro + j] > 0) ? 0.0 : s;
        }
      }
    }
  }

  /** Per-batch buffers of one stack: inputs, every layer's output, deltas and tangents. */
  public final class Activations {
    private final int capacity;
    private final double[][] values;
    private final double[][] deltas;
    private final double[][] tangents;

    private Activations(int capacity) {
      if (capacity < 1) {
        throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
      }
      this.capacity = capacity;
      int n = widths.length;
      values = new double[n][];
      deltas = new double[n][];
      tangents = new double[n][];
      for (int l = 0; l < n; l++) {
        values[l] = new double[capacity * widths[l]];
        // the input needs no delta, the logits' tangent goes to the caller's array
        deltas[l] = l == 0 ? null : new double[capacity * widths[l]];
        tangents[l] = l == 0 || l == n - 1 ? null : new double[capacity * widths[l]];
      }
    }

    /** Examples these buffers hold at most. */
    public int capacity() {
      return capacity;
    }

    /** The input rows [capacity, nIn], row-major, to be filled before a {@link #forward}. */
    public double[] input() {
      return values[0];
    }

    /** The logits [capacity, K] of the latest forward, row-major. */
    public double[] logits() {
      return values[values.length - 1];
    }

    private void check(int rows) {
      if (rows < 1 || rows > capacity) {
        throw new IllegalArgumentException(
            "rows must be in 1.." + capacity + ", got " + rows);
      }
    }
  }
}
