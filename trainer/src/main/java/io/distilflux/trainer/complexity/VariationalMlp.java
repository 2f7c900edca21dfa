package io.distilflux.trainer.complexity;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The shape of a variational multilayer perceptron (ReLU hidden layers, a linear output giving
 * the logits) and its computations on plain Java arrays in double precision: the sampled forward
 * with the local reparameterisation trick, its backward, the forward with the means (prediction)
 * and the KL divergence from the prior N(0, s_p²·I) (docs/complexity.md §1).
 *
 * <p>Every parameter vector (μ, ρ, σ² = e^{2ρ}, their gradients) has one flat layout: per layer
 * the weights W [nIn, nOut] in row-major order, then the biases [nOut]. Row-major weights let
 * the first layer skip MNIST's zero pixels: an input that is zero adds nothing to the forward or
 * to the weight gradients, so the loops run over the non-zero inputs only.
 *
 * <p>Instances are immutable; the per-batch arrays live in {@link Buffers}.
 */
public final class VariationalMlp {

  private final int[] widths;
  private final int[] offsets;
  private final int parameterCount;

  /**
   * @param widths layer widths from the input to the logits, e.g. {784, 100, 10}; at least two,
   *     all positive
   */
  public VariationalMlp(int... widths) {
    if (widths.length < 2) {
      throw new IllegalArgumentException("a network needs at least an input and an output width");
    }
    for (int w : widths) {
      if (w < 1) {
        throw new IllegalArgumentException("layer widths must be >= 1, got "
            + Arrays.toString(widths));
      }
    }
    this.widths = widths.clone();
    this.offsets = new int[widths.length - 1];
    int offset = 0;
    for (int l = 0; l < offsets.length; l++) {
      offsets[l] = offset;
      offset += (widths[l] + 1) * widths[l + 1];
    }
    this.parameterCount = offset;
  }

  /** Number of layers (weight matrices). */
  public int layers() {
    return offsets.length;
  }

  /** Input width of layer {@code l}. */
  public int inputWidth(int l) {
    return widths[l];
  }

  /** Output width of layer {@code l}. */
  public int outputWidth(int l) {
    return widths[l + 1];
  }

  /** Number of classes (logits per example). */
  public int classes() {
    return widths[widths.length - 1];
  }

  /** Length of one flat parameter vector (μ or ρ). */
  public int parameterCount() {
    return parameterCount;
  }

  /** Offset of layer {@code l}'s weights in the flat layout; its biases follow them. */
  public int weightOffset(int l) {
    return offsets[l];
  }

  /** Number of weights (not biases) of layer {@code l}. */
  public int weightCount(int l) {
    return widths[l] * widths[l + 1];
  }

  /**
   * The starting point of training: Xavier-uniform weight means, zero bias means, ρ = −3
   * everywhere.
   */
  public void initialise(double[] mu, double[] rho, RandomGenerator random) {
    Arrays.fill(rho, -3.0);
    Arrays.fill(mu, 0.0);
    for (int l = 0; l < layers(); l++) {
      double limit = Math.sqrt(6.0 / (widths[l] + widths[l + 1]));
      int wo = offsets[l];
      for (int k = 0; k < weightCount(l); k++) {
        mu[wo + k] = (2 * random.nextDouble() - 1) * limit;
      }
    }
  }

  /** σ² = e^{2ρ}, entry by entry, into {@code sigma2}. */
  public static void variances(double[] rho, double[] sigma2) {
    for (int k = 0; k < rho.length; k++) {
      sigma2[k] = Math.exp(2 * rho[k]);
    }
  }

  /**
   * KL(q‖p) = ½ Σ (σ²/s_p² + μ²/s_p² − 1 − ln(σ²/s_p²)) of q = N(μ, σ² = e^{2ρ}) from the prior
   * N(0, s_p²), over every parameter.
   */
  public static double kl(double[] mu, double[] rho, double priorVariance) {
    return kl(mu, rho, priorVariance, 0, mu.length);
  }

  /** The same KL over the entries {@code from … to − 1} alone (one layer's, say). */
  public static double kl(double[] mu, double[] rho, double priorVariance, int from, int to) {
    double logPrior = Math.log(priorVariance);
    double sum = 0;
    for (int k = from; k < to; k++) {
      double sigma2 = Math.exp(2 * rho[k]);
      sum += (sigma2 + mu[k] * mu[k]) / priorVariance - 1 - (2 * rho[k] - logPrior);
    }
    return 0.5 * sum;
  }

  /**
   * Adds {@code scale}·∇KL to the gradients: ∂KL/∂μ = μ/s_p², ∂KL/∂ρ = σ²/s_p² − 1.
   */
  public static void addKlGradient(double[] mu, double[] rho, double priorVariance,
      double scale, double[] gradMu, double[] gradRho) {
    addKlGradient(mu, rho, priorVariance, scale, gradMu, gradRho, 0, mu.length);
  }

  /** The same over the entries {@code from … to − 1} alone. */
  public static void addKlGradient(double[] mu, double[] rho, double priorVariance,
      double scale, double[] gradMu, double[] gradRho, int from, int to) {
    for (int k = from; k < to; k++) {
      gradMu[k] += scale * mu[k] / priorVariance;
      gradRho[k] += scale * (Math.exp(2 * rho[k]) / priorVariance - 1);
    }
  }

  /** Buffers for batches of up to {@code capacity} examples. */
  public Buffers buffers(int capacity) {
    return new Buffers(capacity);
  }

  /**
   * The forward with the means only (prediction, evaluation and pruned networks) of the first
   * {@code rows} examples of {@code b.input()}; the logits land in {@code b.logits()}.
   */
  public void meanForward(double[] mu, Buffers b, int rows) {
    b.check(rows);
    for (int l = 0; l < layers(); l++) {
      double[] out = b.values[l + 1];
      affine(b.values[l], rows, l, mu, out);
      if (l < layers() - 1) {
        relu(out, rows * widths[l + 1]);
      }
    }
  }

  /** Draws a fresh ε ~ N(0, 1) for every example and every unit of every layer. */
  public void drawNoise(Buffers b, int rows, RandomGenerator random) {
    b.check(rows);
    for (int l = 0; l < layers(); l++) {
      double[] eps = b.noise[l];
      for (int k = 0; k < rows * widths[l + 1]; k++) {
        eps[k] = random.nextGaussian();
      }
    }
  }

  /**
   * The sampled forward with the local reparameterisation trick, using the noise last drawn into
   * {@code b}: per layer a = xM + μ_b + √((x⊙x)·σ_W² + σ_b²)⊙ε, ReLU on the hidden layers. The
   * logits land in {@code b.logits()}; what the backward needs is kept in {@code b}.
   *
   * @param mu the means, flat layout
   * @param sigma2 the variances σ², flat layout
   */
  public void sampledForward(double[] mu, double[] sigma2, Buffers b, int rows) {
    b.check(rows);
    for (int l = 0; l < layers(); l++) {
      int nOut = widths[l + 1];
      double[] in = b.values[l];
      double[] mean = b.values[l + 1];
      double[] sd = b.deviations[l];
      affine(in, rows, l, mu, mean);
      squaredAffine(in, rows, l, sigma2, sd);
      double[] eps = b.noise[l];
      for (int k = 0; k < rows * nOut; k++) {
        sd[k] = Math.sqrt(sd[k]);
        mean[k] += sd[k] * eps[k];
      }
      if (l < layers() - 1) {
        relu(mean, rows * nOut);
      }
    }
  }

  /**
   * The gradients of a loss with respect to μ and σ² (overwritten), given its gradient {@code
   * logitGradient} [rows, classes] with respect to the logits of the latest {@link
   * #sampledForward} of {@code b}. With a = m + s·ε and s = √v: ∂a/∂m = 1, ∂a/∂v = ε/(2s).
   */
  public void backward(double[] mu, double[] sigma2, Buffers b, int rows,
      double[] logitGradient, double[] gradMu, double[] gradSigma2) {
    backward(mu, sigma2, b, rows, logitGradient, gradMu, gradSigma2, true);
  }

  /**
   * The gradient with respect to μ (overwritten) of a loss of the latest {@link #meanForward} of
   * {@code b}, given its gradient {@code logitGradient} with respect to the logits: what a
   * validation loss taken at the means needs.
   */
  public void meanBackward(double[] mu, Buffers b, int rows, double[] logitGradient,
      double[] gradMu) {
    backward(mu, null, b, rows, logitGradient, gradMu, null, false);
  }

  private void backward(double[] mu, double[] sigma2, Buffers b, int rows,
      double[] logitGradient, double[] gradMu, double[] gradSigma2, boolean sampled) {
    b.check(rows);
    int last = layers() - 1;
    System.arraycopy(logitGradient, 0, b.deltas[last], 0, rows * widths[last + 1]);
    for (int l = last; l >= 0; l--) {
      int nIn = widths[l];
      int nOut = widths[l + 1];
      int wo = offsets[l];
      int bo = wo + nIn * nOut;
      double[] in = b.values[l];
      double[] delta = b.deltas[l];
      double[] varianceDelta = b.varianceDeltas[l];
      double[] eps = b.noise[l];
      double[] sd = b.deviations[l];
      if (sampled) {
        for (int k = 0; k < rows * nOut; k++) {
          varianceDelta[k] = delta[k] * eps[k] / (2 * sd[k]);
        }
        Arrays.fill(gradSigma2, wo, bo + nOut, 0.0);
      } else {
        Arrays.fill(varianceDelta, 0, rows * nOut, 0.0);
      }
      Arrays.fill(gradMu, wo, bo + nOut, 0.0);
      for (int r = 0; r < rows; r++) {
        int ri = r * nIn;
        int ro = r * nOut;
        for (int i = 0; i < nIn; i++) {
          double x = in[ri + i];
          if (x == 0.0) {
            continue;
          }
          double x2 = x * x;
          int row = wo + i * nOut;
          for (int j = 0; j < nOut; j++) {
            gradMu[row + j] += x * delta[ro + j];
          }
          if (sampled) {
            for (int j = 0; j < nOut; j++) {
              gradSigma2[row + j] += x2 * varianceDelta[ro + j];
            }
          }
        }
        for (int j = 0; j < nOut; j++) {
          gradMu[bo + j] += delta[ro + j];
          if (sampled) {
            gradSigma2[bo + j] += varianceDelta[ro + j];
          }
        }
      }
      if (l == 0) {
        break;
      }
      // δ of the layer below: Σ_j δ_j M_ij + 2 x_i Σ_j δv_j S_ij, through its ReLU
      double[] previous = b.deltas[l - 1];
      for (int r = 0; r < rows; r++) {
        int ri = r * nIn;
        int ro = r * nOut;
        for (int i = 0; i < nIn; i++) {
          double x = in[ri + i];
          if (!(x > 0)) {
            previous[ri + i] = 0.0;
            continue;
          }
          int row = wo + i * nOut;
          double s = 0;
          double v = 0;
          for (int j = 0; j < nOut; j++) {
            s += delta[ro + j] * mu[row + j];
          }
          if (sampled) {
            for (int j = 0; j < nOut; j++) {
              v += varianceDelta[ro + j] * sigma2[row + j];
            }
          }
          previous[ri + i] = s + 2 * x * v;
        }
      }
    }
  }

  /** out[r, j] = Σ_i in[r, i]·W[i, j] + b[j] with W, b of layer l in {@code p}. */
  private void affine(double[] in, int rows, int l, double[] p, double[] out) {
    int nIn = widths[l];
    int nOut = widths[l + 1];
    int wo = offsets[l];
    int bo = wo + nIn * nOut;
    for (int r = 0; r < rows; r++) {
      int ri = r * nIn;
      int ro = r * nOut;
      System.arraycopy(p, bo, out, ro, nOut);
      for (int i = 0; i < nIn; i++) {
        double x = in[ri + i];
        if (x == 0.0) {
          continue;
        }
        int row = wo + i * nOut;
        for (int j = 0; j < nOut; j++) {
          out[ro + j] += x * p[row + j];
        }
      }
    }
  }

  /** out[r, j] = Σ_i in[r, i]²·S[i, j] + s_b[j] with S, s_b of layer l in {@code p}. */
  private void squaredAffine(double[] in, int rows, int l, double[] p, double[] out) {
    int nIn = widths[l];
    int nOut = widths[l + 1];
    int wo = offsets[l];
    int bo = wo + nIn * nOut;
    for (int r = 0; r < rows; r++) {
      int ri = r * nIn;
      int ro = r * nOut;
      System.arraycopy(p, bo, out, ro, nOut);
      for (int i = 0; i < nIn; i++) {
        double x = in[ri + i];
        if (x == 0.0) {
          continue;
        }
        double x2 = x * x;
        int row = wo + i * nOut;
        for (int j = 0; j < nOut; j++) {
          out[ro + j] += x2 * p[row + j];
        }
      }
    }
  }

  private static void relu(double[] a, int n) {
    for (int k = 0; k < n; k++) {
      if (!(a[k] > 0)) {
        a[k] = 0.0;
      }
    }
  }

  /** Per-batch arrays: the input, every layer's output, its deviations, noise and deltas. */
  public final class Buffers {
    private final int capacity;
    private final double[][] values;
    private final double[][] deviations;
    private final double[][] noise;
    private final double[][] deltas;
    private final double[][] varianceDeltas;

    private Buffers(int capacity) {
      if (capacity < 1) {
        throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
      }
      this.capacity = capacity;
      int layers = layers();
      values = new double[layers + 1][];
      for (int l = 0; l <= layers; l++) {
        values[l] = new double[capacity * widths[l]];
      }
      deviations = new double[layers][];
      noise = new double[layers][];
      deltas = new double[layers][];
      varianceDeltas = new double[layers][];
      for (int l = 0; l < layers; l++) {
        int n = capacity * widths[l + 1];
        deviations[l] = new double[n];
        noise[l] = new double[n];
        deltas[l] = new double[n];
        varianceDeltas[l] = new double[n];
      }
    }

    /** Examples these buffers hold at most. */
    public int capacity() {
      return capacity;
    }

    /** The input rows [capacity, inputs], row-major, to be filled before a forward. */
    public double[] input() {
      return values[0];
    }

    /** The logits [capacity, classes] of the latest forward, row-major. */
    public double[] logits() {
      return values[values.length - 1];
    }

    private void check(int rows) {
      if (rows < 1 || rows > capacity) {
        throw new IllegalArgumentException("rows must be in 1.." + capacity + ", got " + rows);
      }
    }
  }
}
