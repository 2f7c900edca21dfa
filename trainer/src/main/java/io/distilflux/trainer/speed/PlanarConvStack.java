package io.distilflux.trainer.speed;

import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The conv blocks of a cifar-very-tiny-shaped student (3×3 conv, stride 1, no padding, no bias →
 * batch-norm on batch statistics → ReLU → 2×2/2 max-pool) as fused Java loops over {@code
 * float[]} planes, forward and backward, for {@link NativeOpsStep}.
 *
 * <p>Why: libnd4j's ops on these small shapes run far below memory speed (batch-norm and
 * max-pool backward take milliseconds each), and {@code conv2d_bp} of the first block computes an
 * input gradient nobody needs. Here each block is a handful of passes:
 *
 * <ul>
 *   <li>Activations are planar (NCHW per image). A conv output plane is computed "full width":
 *       position p = h·W + w of an H×W input plane, so tap (kh, kw) reads input p + kh·W + kw and
 *       one output plane is a single long loop {@code o[p] = Σ9 w·x[p + off]} that HotSpot's
 *       superword pass vectorizes; the W − W' columns past the valid width are garbage that a
 *       0/1 mask removes from every statistic and gradient.
 *   <li>Batch statistics are accumulated in per-position float lanes (vectorized) while the
 *       plane is hot, shifted by the running mean to keep the one-pass variance well conditioned
 *       (Σ(x − K), Σ(x − K)², reduced in double).
 *   <li>Batch-norm apply, max-pool (argmax kept as a byte), ReLU in one scalar pass.
 *   <li>Backward: ReLU mask, max-pool scatter and the batch-norm sums Σdy, Σdy·x̂ in one pass
 *       over the pooled map; then the closed form dx = a·dy − a·Σdy/M − (a/σ)·(x − μ)·Σdy·x̂/M
 *       (a = γ/σ); the weight gradient as per-position lane accumulators (vectorized), the input
 *       gradient (not for the first block) as the transposed "full" convolution over a
 *       zero-margined copy of dx, again one long vectorized loop per plane.
 * </ul>
 *
 * <p>The work of each phase is split into {@code parts} partitions (images, or output channels
 * for the weight gradient) that {@link Partitions} may run on several threads; partial statistics
 * are reduced in a fixed order, so the result does not depend on the thread count's timing.
 * FLOAT only. Not thread-safe.
 */
final class PlanarConvStack {

  private static final int TAPS = 9;

  /** DL4J parameter and gradient views of one conv block. */
  record BlockParams(INDArray w, INDArray dW, INDArray gamma, INDArray beta, INDArray globalMean,
      INDArray globalLog10Std, INDArray dGamma, INDArray dBeta, INDArray dGlobalMean,
      INDArray dGlobalLog10Std, double eps, double decay) {}

  private final BlockParams[] params;
  private final Partitions partitions;
  private OpClock clock;

  PlanarConvStack(List<BlockParams> params, Partitions partitions) {
    this.params = params.toArray(BlockParams[]::new);
    this.partitions = partitions;
  }

  /** Starts per-phase timing into {@code opClock} (null stops it); for profiling mains only. */
  void profileWith(OpClock opClock) {
    this.clock = opClock;
  }

  private void lap(BlockState s, String op) {
    if (clock != null) {
      clock.lap(s.index, op);
    }
  }

  /** Buffers of one input shape [N, C, H, W]; {@link #flatWidth} is the flattened output. */
  State allocate(long[] inputShape) {
    int n = Math.toIntExact(inputShape[0]);
    int c = Math.toIntExact(inputShape[1]);
    int h = Math.toIntExact(inputShape[2]);
    int w = Math.toIntExact(inputShape[3]);
    float[] input = new float[n * c * h * w];
    BlockState[] blocks = new BlockState[params.length];
    float[] in = input;
    for (int b = 0; b < params.length; b++) {
      long[] ws = params[b].w().shape();
      if (ws[1] != c || ws[2] != 3 || ws[3] != 3) {
        throw new IllegalArgumentException("block " + b + " weights " + Arrays.toString(ws)
            + " do not take " + c + " channels with a 3x3 kernel");
      }
      if (h < 4 || w < 4) {
        throw new IllegalArgumentException("input side " + h + "x" + w
            + " is too small for a 3x3 conv and a 2x2 pool");
      }
      blocks[b] = new BlockState(b, n, c, h, w, Math.toIntExact(ws[0]), in, partitions.parts());
      in = blocks[b].pooled;
      c = blocks[b].co;
      h = blocks[b].hp;
      w = blocks[b].wp;
    }
    return new State(n, input, blocks);
  }

  /**
   * Training-mode forward of {@code x} [N, C, H, W] into {@code flatOut} [N, C'·H'·W'] (NCHW
   * flatten order, as DL4J's CnnToFeedForwardPreProcessor).
   */
  void forward(INDArray x, State s, INDArray flatOut) {
    copyIn(x, s.input);
    lap(s.blocks[0], "input_copy");
    for (int b = 0; b < params.length; b++) {
      forwardBlock(params[b], s.blocks[b]);
    }
    copyOut(s.blocks[params.length - 1].pooled, flatOut);
  }

  /** Backward of {@code gradFlat} [N, C'·H'·W'] through the latest forward of {@code s}. */
  void backward(State s, INDArray gradFlat) {
    copyIn(gradFlat, s.blocks[params.length - 1].gradPooled);
    for (int b = params.length - 1; b >= 0; b--) {
      backwardBlock(params[b], s.blocks[b], b > 0 ? s.blocks[b - 1].gradPooled : null);
    }
  }

  private void forwardBlock(BlockParams p, BlockState s) {
    s.readParams(p);
    partitions.run(part -> {
      float[] s1 = s.s1[part];
      float[] s2 = s.s2[part];
      Arrays.fill(s1, 0f);
      Arrays.fill(s2, 0f);
      int n0 = s.n * part / s.parts;
      int n1 = s.n * (part + 1) / s.parts;
      for (int n = n0; n < n1; n++) {
        for (int co = 0; co < s.co; co++) {
          int ob = (n * s.co + co) * s.hw;
          for (int ci = 0; ci < s.ci; ci++) {
            convPlane(s.in, (n * s.ci + ci) * s.inPlane, s.w, s.wt, (co * s.ci + ci) * TAPS,
                s.conv, ob, s.len, ci == 0);
          }
          moments(s.conv, ob, s.mask, s.shiftK[co], s1, s2, co * s.hw, s.hw);
        }
      }
    });
    lap(s, "conv_moments");
    s.reduceMoments(p);
    partitions.run(part -> {
      int n0 = s.n * part / s.parts;
      int n1 = s.n * (part + 1) / s.parts;
      for (int n = n0; n < n1; n++) {
        for (int co = 0; co < s.co; co++) {
          normalizePool(s.conv, (n * s.co + co) * s.hw, s.w, s.scale[co], s.shift[co],
              s.pooled, s.argmax, (n * s.co + co) * s.outPlane, s.hp, s.wp);
        }
      }
    });
    if (s.nonFinite) {
      // DL4J's layers carry a non-finite batch statistic to the logits; max-pool and ReLU would
      // turn NaN into numbers, so the whole map becomes NaN, as in the libnd4j path
      Arrays.fill(s.pooled, Float.NaN);
    }
    lap(s, "bn_pool_relu");
  }

  private void backwardBlock(BlockParams p, BlockState s, float[] gradInput) {
    partitions.run(part -> {
      double[] sumDy = s.sumDy[part];
      double[] sumDyXhat = s.sumDyXhat[part];
      Arrays.fill(sumDy, 0);
      Arrays.fill(sumDyXhat, 0);
      int n0 = s.n * part / s.parts;
      int n1 = s.n * (part + 1) / s.parts;
      for (int n = n0; n < n1; n++) {
        for (int co = 0; co < s.co; co++) {
          int pb = (n * s.co + co) * s.outPlane;
          int ob = (n * s.co + co) * s.hw;
          poolReluBackward(s, pb, ob, co, sumDy, sumDyXhat);
        }
      }
    });
    lap(s, "pool_relu_bp");
    s.reduceBatchNormGradients(p);
    partitions.run(part -> {
      int n0 = s.n * part / s.parts;
      int n1 = s.n * (part + 1) / s.parts;
      for (int n = n0; n < n1; n++) {
        for (int co = 0; co < s.co; co++) {
          int ob = (n * s.co + co) * s.hw;
          int db = (n * s.co + co) * s.dxPlane + s.front;
          batchNormBackward(s.conv, ob, s.mask, s.mean[co], s.coefC[co], s.coefE[co], s.dx, db,
              s.hw);
          scatterPooled(s, (n * s.co + co) * s.outPlane, db, s.scale[co]);
        }
      }
    });
    lap(s, "bn_bp");
    partitions.run(part -> {
      float[][] acc = s.acc[part];
      int c0 = s.co * part / s.parts;
      int c1 = s.co * (part + 1) / s.parts;
      for (int co = c0; co < c1; co++) {
        for (float[] lane : acc) {
          Arrays.fill(lane, 0f);
        }
        for (int n = 0; n < s.n; n++) {
          int db = (n * s.co + co) * s.dxPlane + s.front;
          for (int ci = 0; ci < s.ci; ci++) {
            int a = ci * TAPS;
            weightGradient(s.dx, db, s.in, (n * s.ci + ci) * s.inPlane, s.w, acc[a],
                acc[a + 1], acc[a + 2], acc[a + 3], acc[a + 4], acc[a + 5], acc[a + 6],
                acc[a + 7], acc[a + 8], s.len);
          }
        }
        for (int k = 0; k < s.ci * TAPS; k++) {
          double sum = 0;
          float[] lane = acc[k];
          for (int i = 0; i < s.len; i++) {
            sum += lane[i];
          }
          s.dW[co * s.ci * TAPS + k] = (float) sum;
        }
      }
    });
    p.dW().assign(Nd4j.createFromArray(s.dW).reshape('c', p.dW().shape()));
    lap(s, "conv_dW");
    if (gradInput != null) {
      partitions.run(part -> {
        int n0 = s.n * part / s.parts;
        int n1 = s.n * (part + 1) / s.parts;
        for (int n = n0; n < n1; n++) {
          for (int ci = 0; ci < s.ci; ci++) {
            int gb = (n * s.ci + ci) * s.inPlane;
            for (int co = 0; co < s.co; co++) {
              inputGradient(s.dx, (n * s.co + co) * s.dxPlane + s.front, s.w, s.wt,
                  (co * s.ci + ci) * TAPS, gradInput, gb, s.inPlane, co == 0);
            }
          }
        }
      });
      lap(s, "conv_dx");
    }
  }

  /** o[ob + p] (=|+=) Σ_{kh,kw} w[kh,kw]·x[xb + p + kh·W + kw] for p in [0, len). */
  static void convPlane(float[] x, int xb, int width, float[] wt, int wb, float[] o, int ob,
      int len, boolean first) {
    float w0 = wt[wb];
    float w1 = wt[wb + 1];
    float w2 = wt[wb + 2];
    float w3 = wt[wb + 3];
    float w4 = wt[wb + 4];
    float w5 = wt[wb + 5];
    float w6 = wt[wb + 6];
    float w7 = wt[wb + 7];
    float w8 = wt[wb + 8];
    int r0 = xb;
    int r1 = xb + width;
    int r2 = xb + 2 * width;
    if (first) {
      for (int p = 0; p < len; p++) {
        o[ob + p] = w0 * x[r0 + p] + w1 * x[r0 + p + 1] + w2 * x[r0 + p + 2]
            + w3 * x[r1 + p] + w4 * x[r1 + p + 1] + w5 * x[r1 + p + 2]
            + w6 * x[r2 + p] + w7 * x[r2 + p + 1] + w8 * x[r2 + p + 2];
      }
    } else {
      for (int p = 0; p < len; p++) {
        o[ob + p] += w0 * x[r0 + p] + w1 * x[r0 + p + 1] + w2 * x[r0 + p + 2]
            + w3 * x[r1 + p] + w4 * x[r1 + p + 1] + w5 * x[r1 + p + 2]
            + w6 * x[r2 + p] + w7 * x[r2 + p + 1] + w8 * x[r2 + p + 2];
      }
    }
  }

  /** Lanes s1 += (o − k)·mask, s2 += ((o − k)·mask)² over one full-width plane. */
  static void moments(float[] o, int ob, float[] mask, float k, float[] s1, float[] s2, int lb,
      int hw) {
    for (int p = 0; p < hw; p++) {
      float d = (o[ob + p] - k) * mask[p];
      s1[lb + p] += d;
      s2[lb + p] += d * d;
    }
  }

  /** y = a·x + b, 2×2/2 max-pool with the window's first argmax, then ReLU. */
  static void normalizePool(float[] o, int ob, int width, float a, float b, float[] pooled,
      byte[] argmax, int pb, int hp, int wp) {
    for (int ph = 0; ph < hp; ph++) {
      int row = ob + 2 * ph * width;
      int out = pb + ph * wp;
      for (int pw = 0; pw < wp; pw++) {
        int i = row + 2 * pw;
        float y0 = a * o[i] + b;
        float y1 = a * o[i + 1] + b;
        float y2 = a * o[i + width] + b;
        float y3 = a * o[i + width + 1] + b;
        float m = y0;
        int k = 0;
        if (y1 > m) {
          m = y1;
          k = 1;
        }
        if (y2 > m) {
          m = y2;
          k = 2;
        }
        if (y3 > m) {
          m = y3;
          k = 3;
        }
        pooled[out + pw] = m > 0f ? m : 0f;
        argmax[out + pw] = (byte) k;
      }
    }
  }

  /**
   * ReLU backward (in place on the pooled gradient) and the batch-norm sums Σdy and Σdy·(x − μ)
   * of one plane; dy is the pooled gradient at each window's argmax, zero elsewhere.
   */
  private static void poolReluBackward(BlockState s, int pb, int ob, int co, double[] sumDy,
      double[] sumDyCentered) {
    float[] gp = s.gradPooled;
    float[] pooled = s.pooled;
    float[] conv = s.conv;
    byte[] argmax = s.argmax;
    int width = s.w;
    float mu = s.mean[co];
    double sd = 0;
    double sdx = 0;
    for (int ph = 0; ph < s.hp; ph++) {
      int j0 = pb + ph * s.wp;
      int row = ob + 2 * ph * width;
      for (int pw = 0; pw < s.wp; pw++) {
        int j = j0 + pw;
        float g = pooled[j] > 0f ? gp[j] : 0f;
        gp[j] = g;
        if (g != 0f) {
          int k = argmax[j];
          int pos = row + 2 * pw + (k & 1) + (k >> 1) * width;
          sd += g;
          sdx += g * (conv[pos] - mu);
        }
      }
    }
    sumDy[co] += sd;
    sumDyCentered[co] += sdx;
  }

  /** The dense part of dx: c·(x − μ) + e on valid positions, 0 on the garbage columns. */
  static void batchNormBackward(float[] o, int ob, float[] mask, float mu, float c, float e,
      float[] dx, int db, int hw) {
    for (int p = 0; p < hw; p++) {
      dx[db + p] = (c * (o[ob + p] - mu) + e) * mask[p];
    }
  }

  /** dx += a·dy at each window's argmax (dy: the ReLU-masked pooled gradient). */
  private static void scatterPooled(BlockState s, int pb, int db, float a) {
    float[] gp = s.gradPooled;
    byte[] argmax = s.argmax;
    float[] dx = s.dx;
    int width = s.w;
    for (int ph = 0; ph < s.hp; ph++) {
      int j0 = pb + ph * s.wp;
      int row = db + 2 * ph * width;
      for (int pw = 0; pw < s.wp; pw++) {
        float g = gp[j0 + pw];
        if (g != 0f) {
          int k = argmax[j0 + pw];
          dx[row + 2 * pw + (k & 1) + (k >> 1) * width] += a * g;
        }
      }
    }
  }

  /** Lanes a_t[p] += dx[db + p]·x[xb + p + off_t] for the 9 taps, p in [0, len). */
  static void weightGradient(float[] dx, int db, float[] x, int xb, int width, float[] a0,
      float[] a1, float[] a2, float[] a3, float[] a4, float[] a5, float[] a6, float[] a7,
      float[] a8, int len) {
    int r0 = xb;
    int r1 = xb + width;
    int r2 = xb + 2 * width;
    for (int p = 0; p < len; p++) {
      float g = dx[db + p];
      a0[p] += g * x[r0 + p];
      a1[p] += g * x[r0 + p + 1];
      a2[p] += g * x[r0 + p + 2];
      a3[p] += g * x[r1 + p];
      a4[p] += g * x[r1 + p + 1];
      a5[p] += g * x[r1 + p + 2];
      a6[p] += g * x[r2 + p];
      a7[p] += g * x[r2 + p + 1];
      a8[p] += g * x[r2 + p + 2];
    }
  }

  /**
   * gi[gb + q] (=|+=) Σ_{kh,kw} w[kh,kw]·dx[db + q − kh·W − kw] for q in [0, H·W): the input
   * gradient of one (input, output) channel pair; dx has zero margins around its plane.
   */
  static void inputGradient(float[] dx, int db, int width, float[] wt, int wb, float[] gi, int gb,
      int plane, boolean first) {
    float w0 = wt[wb];
    float w1 = wt[wb + 1];
    float w2 = wt[wb + 2];
    float w3 = wt[wb + 3];
    float w4 = wt[wb + 4];
    float w5 = wt[wb + 5];
    float w6 = wt[wb + 6];
    float w7 = wt[wb + 7];
    float w8 = wt[wb + 8];
    int r0 = db;
    int r1 = db - width;
    int r2 = db - 2 * width;
    if (first) {
      for (int q = 0; q < plane; q++) {
        gi[gb + q] = w0 * dx[r0 + q] + w1 * dx[r0 + q - 1] + w2 * dx[r0 + q - 2]
            + w3 * dx[r1 + q] + w4 * dx[r1 + q - 1] + w5 * dx[r1 + q - 2]
            + w6 * dx[r2 + q] + w7 * dx[r2 + q - 1] + w8 * dx[r2 + q - 2];
      }
    } else {
      for (int q = 0; q < plane; q++) {
        gi[gb + q] += w0 * dx[r0 + q] + w1 * dx[r0 + q - 1] + w2 * dx[r0 + q - 2]
            + w3 * dx[r1 + q] + w4 * dx[r1 + q - 1] + w5 * dx[r1 + q - 2]
            + w6 * dx[r2 + q] + w7 * dx[r2 + q - 1] + w8 * dx[r2 + q - 2];
      }
    }
  }

  /** Copies a FLOAT array's elements in C order into {@code dst}. */
  static void copyIn(INDArray a, float[] dst) {
    if (a.dataType() != DataType.FLOAT || a.length() != dst.length) {
      throw new IllegalArgumentException("expected " + dst.length + " FLOAT values, got "
          + a.dataType() + " " + Arrays.toString(a.shape()));
    }
    INDArray c = contiguous(a) ? a : a.dup('c');
    new FloatPointer(c.data().addressPointer()).get(dst, 0, dst.length);
  }

  /** Writes {@code src} into a C-contiguous FLOAT array of the same length. */
  static void copyOut(float[] src, INDArray a) {
    if (a.dataType() != DataType.FLOAT || a.length() != src.length || !contiguous(a)) {
      throw new IllegalArgumentException("expected a contiguous FLOAT array of " + src.length);
    }
    new FloatPointer(a.data().addressPointer()).put(src, 0, src.length);
  }

  private static boolean contiguous(INDArray a) {
    return a.ordering() == 'c' && !a.isView() && a.offset() == 0
        && Shape.hasDefaultStridesForShape(a) && a.data().length() == a.length();
  }

  /** Buffers of one input shape. */
  static final class State {
    final int n;
    final float[] input;
    final BlockState[] blocks;

    State(int n, float[] input, BlockState[] blocks) {
      this.n = n;
      this.input = input;
      this.blocks = blocks;
    }

    /** Elements per example of the last block's pooled output. */
    int flatWidth() {
      BlockState last = blocks[blocks.length - 1];
      return last.co * last.outPlane;
    }
  }

  /** Activations, gradients and scratch of one block at one input shape. */
  static final class BlockState {
    final int index;
    final int n;
    final int ci;
    final int h;
    final int w;
    final int co;
    final int ho;
    final int wo;
    final int hp;
    final int wp;
    final int hw;
    final int len;
    final int inPlane;
    final int outPlane;
    final int front;
    final int dxPlane;
    final int parts;
    final float[] in;
    final float[] conv;
    final float[] pooled;
    final byte[] argmax;
    final float[] gradPooled;
    final float[] dx;
    final float[] mask;
    final float[][] s1;
    final float[][] s2;
    final float[][][] acc;
    final double[][] sumDy;
    final double[][] sumDyXhat;
    final float[] wt;
    final float[] dW;
    final float[] shiftK;
    final float[] mean;
    final float[] var;
    final float[] scale;
    final float[] shift;
    final float[] coefC;
    final float[] coefE;
    boolean nonFinite;

    BlockState(int index, int n, int ci, int h, int w, int co, float[] in, int parts) {
      this.index = index;
      this.n = n;
      this.ci = ci;
      this.h = h;
      this.w = w;
      this.co = co;
      this.ho = h - 2;
      this.wo = w - 2;
      this.hp = ho / 2;
      this.wp = wo / 2;
      this.hw = ho * w;
      this.len = (ho - 1) * w + wo;
      this.inPlane = h * w;
      this.outPlane = hp * wp;
      // dx planes carry zero margins: 2 rows + 2 before (the transposed conv reads back to
      // q − 2W − 2) and 2 rows after (it reads up to H·W − 1 = data + 2W)
      this.front = 2 * w + 2;
      this.dxPlane = front + hw + 2 * w;
      this.parts = parts;
      this.in = in;
      this.conv = new float[n * co * hw];
      this.pooled = new float[n * co * outPlane];
      this.argmax = new byte[n * co * outPlane];
      this.gradPooled = new float[n * co * outPlane];
      this.dx = new float[n * co * dxPlane];
      this.mask = new float[hw];
      for (int p = 0; p < hw; p++) {
        mask[p] = p % w < wo ? 1f : 0f;
      }
      this.s1 = new float[parts][co * hw];
      this.s2 = new float[parts][co * hw];
      this.acc = new float[parts][ci * TAPS][len];
      this.sumDy = new double[parts][co];
      this.sumDyXhat = new double[parts][co];
      this.wt = new float[co * ci * TAPS];
      this.dW = new float[co * ci * TAPS];
      this.shiftK = new float[co];
      this.mean = new float[co];
      this.var = new float[co];
      this.scale = new float[co];
      this.shift = new float[co];
      this.coefC = new float[co];
      this.coefE = new float[co];
    }

    void readParams(BlockParams p) {
      copyLogical(p.w(), wt);
      float[] running = p.globalMean().toFloatVector();
      for (int c = 0; c < co; c++) {
        shiftK[c] = Float.isFinite(running[c]) ? running[c] : 0f;
      }
    }

    /** Batch mean and (biased) variance from the lanes, then a = γ/σ, b = β − μ·a. */
    void reduceMoments(BlockParams p) {
      double m = (double) n * ho * wo;
      float[] gamma = p.gamma().toFloatVector();
      float[] beta = p.beta().toFloatVector();
      nonFinite = false;
      for (int c = 0; c < co; c++) {
        double sum1 = 0;
        double sum2 = 0;
        for (int part = 0; part < parts; part++) {
          float[] l1 = s1[part];
          float[] l2 = s2[part];
          for (int i = c * hw, end = i + hw; i < end; i++) {
            sum1 += l1[i];
            sum2 += l2[i];
          }
        }
        double d = sum1 / m;
        double v = Math.max(0, sum2 / m - d * d);
        double mu = shiftK[c] + d;
        double a = gamma[c] / Math.sqrt(v + p.eps());
        mean[c] = (float) mu;
        var[c] = (float) v;
        scale[c] = (float) a;
        shift[c] = (float) (beta[c] - mu * a);
        nonFinite |= !Double.isFinite(v) || !Double.isFinite(mu);
      }
    }

    /**
     * dβ = Σdy, dγ = Σdy·x̂, DL4J's running-statistics "gradients", and the coefficients of
     * dx = a·dy + c·(x − μ) + e: c = −a·dγ/(σ·M), e = −a·dβ/M.
     */
    void reduceBatchNormGradients(BlockParams p) {
      double m = (double) n * ho * wo;
      float[] dGamma = new float[co];
      float[] dBeta = new float[co];
      float[] dMean = new float[co];
      float[] dLogStd = new float[co];
      float[] running = p.globalMean().toFloatVector();
      float[] log10Std = p.globalLog10Std().toFloatVector();
      double decay = p.decay();
      for (int c = 0; c < co; c++) {
        double sd = 0;
        double sdx = 0;
        for (int part = 0; part < parts; part++) {
          sd += sumDy[part][c];
          sdx += sumDyXhat[part][c];
        }
        double inverseStd = 1.0 / Math.sqrt(var[c] + p.eps());
        double dg = sdx * inverseStd;
        dBeta[c] = (float) sd;
        dGamma[c] = (float) dg;
        coefC[c] = (float) (-scale[c] * dg * inverseStd / m);
        coefE[c] = (float) (-scale[c] * sd / m);
        // DL4J's "distributed safe" running-statistics update, stored as a gradient to subtract
        dMean[c] = (float) ((running[c] - (double) mean[c]) * (1 - decay));
        double previousVar = Math.pow(10.0, 2.0 * log10Std[c]);
        double nextVar = decay * previousVar + (1 - decay) * var[c];
        dLogStd[c] = (float) (Math.log(previousVar / nextVar) / (2.0 * Math.log(10.0)));
      }
      p.dGamma().assign(Nd4j.createFromArray(dGamma).reshape('c', p.dGamma().shape()));
      p.dBeta().assign(Nd4j.createFromArray(dBeta).reshape('c', p.dBeta().shape()));
      p.dGlobalMean().assign(Nd4j.createFromArray(dMean).reshape('c', p.dGlobalMean().shape()));
      p.dGlobalLog10Std().assign(Nd4j.create(dLogStd, p.dGlobalLog10Std().shape(), 'c'));
    }

    private static void copyLogical(INDArray a, float[] dst) {
      float[] values = a.dup('c').data().asFloat();
      System.arraycopy(values, 0, dst, 0, dst.length);
    }
  }
}
