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
 * <p>The matrix products go to a {@link DenseKernel} (Java loops or BLAS), each one fixed order
 * of additions, so results are reproducible bit for bit. Instances are immutable; the per-batch
 * buffers and the kernel live in {@link Activations}.
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

  /** Layer widths from the input to the logits. */
  public int[] widths() {
    return widths.clone();
  }

  /** Whether layer {@code l}'s output goes through a ReLU (else it is linear). */
  public boolean isRelu(int l) {
    return relu[l];
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

  /** Buffers for batches of up to {@code capacity} examples, multiplied by Java loops. */
  public Activations activations(int capacity) {
    return activations(capacity, DenseKernel.JAVA);
  }

  /**
   * Buffers for batches of up to {@code capacity} examples whose matrix products {@code kernel}
   * computes (a kernel may be shared by several {@code Activations} used from one thread).
   */
  public Activations activations(int capacity, DenseKernel kernel) {
    return new Activations(capacity, java.util.Objects.requireNonNull(kernel, "kernel"));
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
      double[] out = a.values[l + 1];
      a.kernel.multiply(a.values[l], rows, nIn, w, wo, nOut, out, false);
      addBiasAndMask(out, rows, nOut, w, wo + nIn * nOut, relu[l]);
    }
  }

  /**
   * ∇w of the loss whose gradient with respect to the logits of the latest {@link #forward} of
   * {@code a} is {@code outputGradient} [rows, K], into {@code gradient} (overwritten).
   */
  public void backward(double[] w, Activations a, int rows, double[] outputGradient,
      double[] gradient) {
    a.check(rows);
    int last = relu.length;
    System.arraycopy(outputGradient, 0, a.deltas[last], 0, rows * widths[last]);
    for (int l = last - 1; l >= 0; l--) {
      int nIn = widths[l];
      int nOut = widths[l + 1];
      int wo = weightOffsets[l];
      int bo = wo + nIn * nOut;
      double[] in = a.values[l];
      double[] delta = a.deltas[l + 1];
      a.kernel.weightGradient(in, delta, rows, nIn, nOut, gradient, wo);
      java.util.Arrays.fill(gradient, bo, bo + nOut, 0.0);
      for (int row = 0; row < rows; row++) {
        int ro = row * nOut;
        for (int j = 0; j < nOut; j++) {
          gradient[bo + j] += delta[ro + j];
        }
      }
      if (l == 0) {
        break;
      }
      double[] previous = a.deltas[l];
      a.kernel.multiplyTransposed(delta, rows, nOut, w, wo, nIn, previous);
      if (relu[l - 1]) {
        // ReLU passes where its output is positive, as DL4J's backward does
        for (int k = 0; k < rows * nIn; k++) {
          if (!(in[k] > 0)) {
            previous[k] = 0.0;
          }
        }
      }
    }
  }

  /**
   * The exact J·u of the logits of the latest {@link #forward} of {@code a} along the parameter
   * direction {@code u} (same layout as w), at the parameters that forward read, into {@code
   * out} [rows, K]. Layer by layer ż = aU + u_b + ȧW and ȧ' = relu'(z)·ż, with ȧ = 0 at the
   * input.
   */
  public void tangent(double[] w, double[] u, Activations a, int rows, double[] out) {
    a.check(rows);
    for (int l = 0; l < relu.length; l++) {
      int nIn = widths[l];
      int nOut = widths[l + 1];
      int wo = weightOffsets[l];
      double[] tangentOut = l == relu.length - 1 ? out : a.tangents[l + 1];
      a.kernel.multiply(a.values[l], rows, nIn, u, wo, nOut, tangentOut, false);
      addBiasAndMask(tangentOut, rows, nOut, u, wo + nIn * nOut, false);
      if (l > 0) {
        a.kernel.multiply(a.tangents[l], rows, nIn, w, wo, nOut, tangentOut, true);
      }
      if (relu[l]) {
        double[] after = a.values[l + 1];
        for (int k = 0; k < rows * nOut; k++) {
          if (!(after[k] > 0)) {
            tangentOut[k] = 0.0;
          }
        }
      }
    }
  }

  /**
   * Adds the bias {@code b[bo …]} to every row of {@code out} and, for a ReLU, zeroes the sums
   * that are not positive (NaN included).
   */
  private static void addBiasAndMask(double[] out, int rows, int nOut, double[] b, int bo,
      boolean relu) {
    for (int row = 0; row < rows; row++) {
      int ro = row * nOut;
      for (int j = 0; j < nOut; j++) {
        double s = out[ro + j] + b[bo + j];
        out[ro + j] = relu && !(s > 0) ? 0.0 : s;
      }
    }
  }

  /** Per-batch buffers of one stack: inputs, every layer's output, deltas and tangents. */
  public final class Activations {
    private final int capacity;
    private final double[][] values;
    private final double[][] deltas;
    private final double[][] tangents;
    private final DenseKernel kernel;

    private Activations(int capacity, DenseKernel kernel) {
      if (capacity < 1) {
        throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
      }
      this.capacity = capacity;
      this.kernel = kernel;
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
