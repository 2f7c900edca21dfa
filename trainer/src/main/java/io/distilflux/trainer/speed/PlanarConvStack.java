package io.distilflux.trainer.speed;

import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The conv blocks of a cifar-very-tiny-shaped student (3×3 conv, stride 1, no padding, no bias →
 * batch-norm on batch statistics → ReLU → 2×2/2 max-pool), forward and backward, for {@link
 * NativeOpsStep}'s {@link NativeOpsStep.ConvEngine#PLANAR_JAVA} engine: the convolutions stay
 * libnd4j's oneDNN-backed {@code conv2d}/{@code conv2d_bp} in NCHW, everything between them is
 * fused Java loops over per-plane {@code float[]} copies.
 *
 * <ul>
 *   <li>Batch statistics: per-position float lanes Σ(x − K), Σ(x − K)² (K = the running mean,
 *       which keeps the one-pass variance well conditioned), reduced in double. Every array in
 *       the loop is indexed by the same expression, which is what HotSpot's superword pass needs
 *       to vectorize it (a loop reading one array at p and p + 1 stays scalar).
 *   <li>Batch-norm apply, max-pool and ReLU in one branch-free pass: relu(a·max(x) + b) for
 *       a = γ/σ ≥ 0, relu(a·min(x) + b) otherwise.
 *   <li>Backward: ReLU mask, the window's argmax (first maximum, as libnd4j) and the sums Σdy,
 *       Σdy·(x − μ) in one pass over the pooled map; then the closed form dx = a·dy + c·(x − μ) + e
 *       with c = −a·dγ/(σM), e = −a·dβ/M (vectorized) and the scatter of a·dy to the argmax.
 *   <li>The first block needs no input gradient, which is most of its {@code conv2d_bp} time
 *       (Cin = 3): its weight gradient is computed as a convolution with batch and channel axes
 *       swapped (input [C, N, H, W], kernels dOut as [C', N, H', W']).
 * </ul>
 *
 * <p>The batch is split into parts (image ranges), each with its own libnd4j input, output and
 * gradient arrays, so that {@link Partitions} can run the parts' convolutions and loops on
 * several threads at once. Partial statistics and weight gradients are reduced in part order,
 * so the numbers depend on the part count only, never on the threads. FLOAT only, 3×3 kernels
 * only. Not thread-safe.
 */
final class PlanarConvStack {

  /**
   * DL4J parameter and gradient views of one conv block: the conv weights and the batch-norm
   * layer's whole parameter and gradient vectors, each [γ, β, running mean, running log10 σ] of
   * C' values (DL4J's BatchNormalizationParamInitializer order), read and written in one op each;
   * {@code uW} and {@code uBatchNorm} are the same views of the direction a {@link #tangent}
   * differentiates along.
   */
  record BlockParams(INDArray w, INDArray dW, INDArray batchNorm, INDArray dBatchNorm,
      INDArray uW, INDArray uBatchNorm, double eps, double decay) {}

  private static final int NCHW = 0;
  /** libnd4j weight layout 1 = [oC, iC, kH, kW], DL4J's own conv weight layout. */
  private static final int WEIGHTS_OIHW = 1;

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

  /** Laps of part 0 only: it runs on the calling thread, the one the clock belongs to. */
  private void lap(int part, BlockState s, String op) {
    if (clock != null && part == 0) {
      clock.lap(s.index, op);
    }
  }

  /** Buffers of one input shape [N, C, H, W]; {@link State#flatWidth} is the flattened output. */
  State allocate(long[] inputShape) {
    int n = Math.toIntExact(inputShape[0]);
    int c = Math.toIntExact(inputShape[1]);
    int h = Math.toIntExact(inputShape[2]);
    int w = Math.toIntExact(inputShape[3]);
    // a part needs at least one image: a batch smaller than the part count uses fewer parts
    int parts = Math.min(partitions.parts(), n);
    BlockState[] blocks = new BlockState[params.length];
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
      blocks[b] = new BlockState(b, n, c, h, w, Math.toIntExact(ws[0]), parts);
      c = blocks[b].co;
      h = blocks[b].hp;
      w = blocks[b].wp;
    }
    return new State(n, parts, blocks);
  }

  /**
   * Training-mode forward of {@code x} [N, C, H, W] into {@code flatOut} [N, C'·H'·W'] (NCHW
   * flatten order, as DL4J's CnnToFeedForwardPreProcessor; C-contiguous).
   */
  void forward(INDArray x, State s, INDArray flatOut) {
    forward(x, s, flatOut, true);
  }

  /**
   * Forward of {@code x} into {@code flatOut}, batch-norm on batch statistics ({@code training})
   * or on the running statistics (inference, as DL4J's {@code output(x, false)}: σ² = 10^(2·log10
   * σ), a = γ/√(σ² + ε)).
   */
  void forward(INDArray x, State s, INDArray flatOut, boolean training) {
    requireContiguous(flatOut, (long) s.n * s.flatWidth());
    for (int b = 0; b < params.length; b++) {
      s.blocks[b].readParams(params[b]);
      s.blocks[b].argmaxCurrent = false;
    }
    partitions.run(part -> {
      if (part < s.parts) {
        Slice in = s.blocks[0].slices[part];
        in.input.assign(x.get(NDArrayIndex.interval(in.first, in.end), NDArrayIndex.all(),
            NDArrayIndex.all(), NDArrayIndex.all()));
        lap(part, s.blocks[0], "input_copy");
        convolveAndMoments(params[0], s.blocks[0], part, training);
      }
    });
    for (int b = 0; b < params.length; b++) {
      BlockState block = s.blocks[b];
      if (training) {
        block.reduceMoments(params[b]);
      } else {
        block.runningStatistics(params[b]);
      }
      lap(0, block, "moments_reduce");
      BlockState next = b + 1 < params.length ? s.blocks[b + 1] : null;
      partitions.run(part -> {
        if (part < s.parts) {
          normalizePool(block, part);
          lap(part, block, "bn_pool_relu");
          handOn(block, part, block.pooled, flatOut,
              next == null ? null : next.slices[part].input);
          lap(part, block, "pooled_out");
          if (next != null) {
            convolveAndMoments(params[next.index], next, part, training);
          }
        }
      });
    }
  }

  /** Backward of {@code gradFlat} [N, C'·H'·W'] (C-contiguous) through the latest forward of s. */
  void backward(State s, INDArray gradFlat) {
    requireContiguous(gradFlat, (long) s.n * s.flatWidth());
    BlockState lastBlock = s.blocks[params.length - 1];
    partitions.run(part -> {
      if (part < s.parts) {
        Slice slice = lastBlock.slices[part];
        int from = slice.first * lastBlock.co * lastBlock.outPlane;
        copyIn(gradFlat, from, lastBlock.gradPooled, from, slice.count * lastBlock.co
            * lastBlock.outPlane);
        poolReluBackward(lastBlock, part);
      }
    });
    for (int b = params.length - 1; b >= 0; b--) {
      BlockParams p = params[b];
      BlockState block = s.blocks[b];
      block.reduceBatchNormGradients(p);
      lap(0, block, "bn_grad_reduce");
      BlockState previous = b > 0 ? s.blocks[b - 1] : null;
      partitions.run(part -> {
        if (part < s.parts) {
          convBackward(p, block, part);
          if (previous != null) {
            Slice slice = block.slices[part];
            int from = slice.first * previous.co * previous.outPlane;
            copyIn(slice.gradInput, 0, previous.gradPooled, from, slice.count * previous.co
                * previous.outPlane);
            lap(part, block, "grad_in");
            poolReluBackward(previous, part);
          }
        }
      });
      block.reduceWeightGradient(p);
      lap(0, block, "dW_reduce");
    }
    for (BlockState block : s.blocks) {
      block.argmaxCurrent = true;
    }
  }

  /**
   * Forward-mode derivative of the latest {@link #forward} of s along the parameter direction u
   * held in the blocks' {@code uW} and {@code uBatchNorm} views: the exact J·u of the flattened
   * output, at the parameters that forward read, into {@code flatTangent} [N, C'·H'·W'].
   *
   * <p>Per block, with ẋ the input's tangent (zero for the first block) and U the direction's
   * weights: ṫ = ẋ ⋆ W + x ⋆ U (the convolution is bilinear); batch-norm on batch statistics
   * gives ẏ = a·ṫ + c·(t − μ) + e with a = γ/σ, μ̇ = mean(ṫ), σ̇ = mean((t − μ)·ṫ)/σ,
   * c = γ̇/σ − γ·σ̇/σ², e = β̇ − a·μ̇; max-pool and ReLU pass ẏ at each window's argmax where the
   * output is positive. The primal activations, batch statistics and argmaxes are the forward's.
   */
  void tangent(State s, INDArray flatTangent) {
    requireContiguous(flatTangent, (long) s.n * s.flatWidth());
    TangentBuffers[] tangents = s.tangents();
    for (int b = 0; b < params.length; b++) {
      tangents[b].readDirection(params[b], s.blocks[b]);
    }
    partitions.run(part -> {
      if (part < s.parts) {
        tangentConvolve(params[0], s.blocks[0], tangents[0], part);
      }
    });
    for (int b = 0; b < params.length; b++) {
      BlockState block = s.blocks[b];
      TangentBuffers tangent = tangents[b];
      tangent.reduceMoments(block, params[b]);
      lap(0, block, "t.reduce");
      BlockState next = b + 1 < params.length ? s.blocks[b + 1] : null;
      TangentBuffers nextTangent = next == null ? null : tangents[b + 1];
      partitions.run(part -> {
        if (part < s.parts) {
          tangentPool(block, tangent, part);
          lap(part, block, "t.pool");
          handOn(block, part, tangent.pooled, flatTangent,
              next == null ? null : nextTangent.input[part]);
          if (next != null) {
            lap(part, block, "t.out");
            tangentConvolve(params[next.index], next, nextTangent, part);
          }
        }
      });
    }
  }

  /**
   * Part {@code part}'s conv-output tangent ṫ = ẋ ⋆ W + x ⋆ U into the slice's staging copy, and
   * its lanes of Σṫ and Σ(t − μ)·ṫ (in the block's moment lanes, free once the forward has
   * reduced them).
   */
  private void tangentConvolve(BlockParams p, BlockState s, TangentBuffers t, int part) {
    Slice slice = s.slices[part];
    // the forward's conv output is in s.conv already, so its libnd4j buffer is free
    Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(slice.input, p.uW())
        .addOutputs(slice.convOut)
        .addIntegerArguments(3, 3, 1, 1, 0, 0, 1, 1, 0, NCHW, WEIGHTS_OIHW).build());
    lap(part, s, "t.conv_xU");
    copyIn(slice.convOut, 0, slice.flat, 0, slice.flat.length);
    float[] inputTerm = null;
    if (s.index > 0) {
      Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(t.input[part], p.w())
          .addOutputs(t.convOut[part])
          .addIntegerArguments(3, 3, 1, 1, 0, 0, 1, 1, 0, NCHW, WEIGHTS_OIHW).build());
      lap(part, s, "t.conv_dxW");
      inputTerm = t.flat[part];
      copyIn(t.convOut[part], 0, inputTerm, 0, inputTerm.length);
    }
    lap(part, s, "t.copy_in");
    float[] dot = slice.flat;
    if (inputTerm != null) {
      for (int i = 0; i < dot.length; i++) {
        dot[i] += inputTerm[i];
      }
    }
    float[][] s1 = s.s1[part];
    float[][] s2 = s.s2[part];
    for (int c = 0; c < s.co; c++) {
      Arrays.fill(s1[c], 0f);
      Arrays.fill(s2[c], 0f);
    }
    float[] scratch = t.plane[part];
    for (int n = slice.first; n < slice.end; n++) {
      for (int c = 0; c < s.co; c++) {
        int plane = n * s.co + c;
        // a loop reading dot at offset + p would stay scalar: copy the plane out first
        System.arraycopy(dot, (plane - slice.first * s.co) * s.hw, scratch, 0, s.hw);
        tangentMoments(s.conv[plane], s.mean[c], scratch, s1[c], s2[c], s.hw);
      }
    }
    lap(part, s, "t.planes_moments");
  }

  /** Lanes s1 += ṫ, s2 += (t − μ)·ṫ over one plane (one index expression: vectorized). */
  static void tangentMoments(float[] o, float mu, float[] dot, float[] s1, float[] s2, int hw) {
    for (int p = 0; p < hw; p++) {
      float d = dot[p];
      s1[p] += d;
      s2[p] += (o[p] - mu) * d;
    }
  }

  /**
   * Tangent of batch-norm, max-pool and ReLU of part {@code part}'s planes into t.pooled, with
   * the windows' argmaxes the backward stored where it ran after the forward.
   */
  private static void tangentPool(BlockState s, TangentBuffers t, int part) {
    Slice slice = s.slices[part];
    if (s.nonFinite) {
      Arrays.fill(t.pooled, slice.first * s.co * s.outPlane, slice.end * s.co * s.outPlane,
          Float.NaN);
      return;
    }
    int width = s.wo;
    boolean stored = s.argmaxCurrent;
    float[] dot = slice.flat;
    int[] argmax = s.argmax;
    for (int n = slice.first; n < slice.end; n++) {
      for (int c = 0; c < s.co; c++) {
        int plane = n * s.co + c;
        float[] conv = s.conv[plane];
        int dotOffset = (plane - slice.first * s.co) * s.hw;
        float a = s.scale[c];
        float mu = s.mean[c];
        float tc = t.coefC[c];
        float te = t.coefE[c];
        int pb = plane * s.outPlane;
        for (int ph = 0; ph < s.hp; ph++) {
          int j0 = pb + ph * s.wp;
          int row = 2 * ph * width;
          for (int pw = 0; pw < s.wp; pw++) {
            int j = j0 + pw;
            int k = stored ? argmax[j] : argmax(conv, row + 2 * pw, width, a);
            // the backward's ReLU convention: the output passes where its bits are not zero
            int keep = Float.floatToRawIntBits(s.pooled[j]) != 0 ? -1 : 0;
            float y = a * dot[dotOffset + k] + tc * (conv[k] - mu) + te;
            t.pooled[j] = Float.intBitsToFloat(Float.floatToRawIntBits(y) & keep);
          }
        }
      }
    }
  }

  /** Part {@code part}'s conv2d, its planes, and (in training) its lanes of the batch moments. */
  private void convolveAndMoments(BlockParams p, BlockState s, int part, boolean moments) {
    Slice slice = s.slices[part];
    Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(slice.input, p.w())
        .addOutputs(slice.convOut)
        .addIntegerArguments(3, 3, 1, 1, 0, 0, 1, 1, 0, NCHW, WEIGHTS_OIHW).build());
    lap(part, s, "conv2d");
    getPlanes(slice.convOut, slice.flat, s.conv, slice.first * s.co, s.hw);
    lap(part, s, "conv_to_planes");
    if (!moments) {
      return;
    }
    float[][] s1 = s.s1[part];
    float[][] s2 = s.s2[part];
    for (int c = 0; c < s.co; c++) {
      Arrays.fill(s1[c], 0f);
      Arrays.fill(s2[c], 0f);
    }
    for (int n = slice.first; n < slice.end; n++) {
      for (int c = 0; c < s.co; c++) {
        moments(s.conv[n * s.co + c], s.shiftK[c], s1[c], s2[c], s.hw);
      }
    }
    lap(part, s, "moments");
  }

  /** Batch-norm, max-pool and ReLU of part {@code part}'s planes into {@code s.pooled}. */
  private static void normalizePool(BlockState s, int part) {
    Slice slice = s.slices[part];
    if (s.nonFinite) {
      // DL4J's layers carry a non-finite batch statistic to the logits; max-pool and ReLU would
      // turn NaN into numbers, so the whole map becomes NaN, as in the libnd4j path
      Arrays.fill(s.pooled, slice.first * s.co * s.outPlane, slice.end * s.co * s.outPlane,
          Float.NaN);
      return;
    }
    for (int n = slice.first; n < slice.end; n++) {
      for (int c = 0; c < s.co; c++) {
        normalizePool(s.conv[n * s.co + c], s.wo, s.scale[c], s.shift[c], s.pooled,
            (n * s.co + c) * s.outPlane, s.hp, s.wp);
      }
    }
  }

  /** ReLU/max-pool backward and part {@code part}'s batch-norm gradient sums. */
  private void poolReluBackward(BlockState s, int part) {
    Slice slice = s.slices[part];
    double[] sumDy = s.sumDy[part];
    double[] sumDyCentered = s.sumDyCentered[part];
    Arrays.fill(sumDy, 0);
    Arrays.fill(sumDyCentered, 0);
    for (int n = slice.first; n < slice.end; n++) {
      for (int c = 0; c < s.co; c++) {
        poolReluBackward(s, n, c, sumDy, sumDyCentered);
      }
    }
    lap(part, s, "pool_relu_bp");
  }

  /**
   * Part {@code part}'s batch-norm backward into conv-output gradient planes, then its share of
   * the weight gradient (and, past the first block, its input gradient).
   */
  private void convBackward(BlockParams p, BlockState s, int part) {
    Slice slice = s.slices[part];
    for (int n = slice.first; n < slice.end; n++) {
      for (int c = 0; c < s.co; c++) {
        int plane = n * s.co + c;
        batchNormBackward(s.conv[plane], s.mean[c], s.coefC[c], s.coefE[c], s.dx[plane], s.hw);
        scatterPooled(s, plane, s.scale[c]);
      }
    }
    lap(part, s, "bn_bp");
    if (s.index > 0) {
      putPlanes(s.dx, slice.first * s.co, slice.count * s.co, slice.flat, slice.gradConv, s.hw,
          1);
      lap(part, s, "planes_to_grad");
      Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(slice.input, p.w(), slice.gradConv)
          .addOutputs(slice.gradInput, slice.dW)
          .addIntegerArguments(3, 3, 1, 1, 0, 0, 1, 1, 0, NCHW, WEIGHTS_OIHW).build());
      lap(part, s, "conv2d_bp");
      return;
    }
    // the first block needs no input gradient, which is most of conv2d_bp's time there; its
    // weight gradient dW[o, i] = Σ_n x[n, i] ⋆ dOut[n, o] is itself a convolution with batch and
    // channels swapped: input xᵀ [C, N, H, W], kernels dOutᵀ [C', N, H', W'], output [C, C', 3, 3]
    putPlanes(s.dx, slice.first * s.co, slice.count * s.co, slice.flat, slice.gradConv, s.hw,
        slice.count);
    lap(part, s, "planes_to_grad");
    slice.transposedInput.assign(slice.input.permute(1, 0, 2, 3));
    lap(part, s, "transpose_input");
    Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(slice.transposedInput, slice.gradConv)
        .addOutputs(slice.dW)
        .addIntegerArguments(s.ho, s.wo, 1, 1, 0, 0, 1, 1, 0, NCHW, WEIGHTS_OIHW).build());
    lap(part, s, "dW_conv2d");
  }

  /** Lanes s1 += o − k, s2 += (o − k)² over one plane (one index expression: vectorized). */
  static void moments(float[] o, float k, float[] s1, float[] s2, int hw) {
    for (int p = 0; p < hw; p++) {
      float d = o[p] - k;
      s1[p] += d;
      s2[p] += d * d;
    }
  }

  /**
   * ReLU(max-pool(a·x + b)) of one plane, branch-free: for a ≥ 0 the window's max of a·x + b is
   * a·max(x) + b, for a < 0 it is a·min(x) + b ({@link Math#max} compiles to vmaxss; an argmax
   * kept here cost 5× more in mispredicted branches, so the backward finds it again).
   */
  static void normalizePool(float[] o, int width, float a, float b, float[] pooled, int pb,
      int hp, int wp) {
    for (int ph = 0; ph < hp; ph++) {
      int row = 2 * ph * width;
      int out = pb + ph * wp;
      if (a >= 0f) {
        for (int pw = 0; pw < wp; pw++) {
          int i = row + 2 * pw;
          float m = Math.max(Math.max(o[i], o[i + 1]), Math.max(o[i + width], o[i + width + 1]));
          pooled[out + pw] = Math.max(a * m + b, 0f);
        }
      } else {
        for (int pw = 0; pw < wp; pw++) {
          int i = row + 2 * pw;
          float m = Math.min(Math.min(o[i], o[i + 1]), Math.min(o[i + width], o[i + width + 1]));
          pooled[out + pw] = Math.max(a * m + b, 0f);
        }
      }
    }
  }

  /**
   * Offset in the plane of the window's first maximum of a·x (row-major order, as libnd4j's
   * max-pool); integer selects on float compares, no unpredictable branches.
   */
  static int argmax(float[] o, int i, int width, float a) {
    float x0 = a * o[i];
    float x1 = a * o[i + 1];
    float x2 = a * o[i + width];
    float x3 = a * o[i + width + 1];
    float m = Math.max(Math.max(x0, x1), Math.max(x2, x3));
    int k = i + width + 1;
    k = x2 == m ? i + width : k;
    k = x1 == m ? i + 1 : k;
    return x0 == m ? i : k;
  }

  /**
   * ReLU backward (in place on the pooled gradient) and the batch-norm sums Σdy and Σdy·(x − μ)
   * of one plane; dy is the pooled gradient at each window's argmax, zero elsewhere.
   */
  private static void poolReluBackward(BlockState s, int n, int c, double[] sumDy,
      double[] sumDyCentered) {
    float[] gp = s.gradPooled;
    float[] pooled = s.pooled;
    float[] conv = s.conv[n * s.co + c];
    int[] argmax = s.argmax;
    int width = s.wo;
    int pb = (n * s.co + c) * s.outPlane;
    float mu = s.mean[c];
    float a = s.scale[c];
    double sd = 0;
    double sdx = 0;
    for (int ph = 0; ph < s.hp; ph++) {
      int j0 = pb + ph * s.wp;
      int row = 2 * ph * width;
      for (int pw = 0; pw < s.wp; pw++) {
        int j = j0 + pw;
        // pooled ≥ 0 (post-ReLU): its bits are zero exactly where ReLU cut the gradient; bit
        // masks and integer selects keep this loop free of unpredictable branches
        int keep = Float.floatToRawIntBits(pooled[j]) != 0 ? -1 : 0;
        float g = Float.intBitsToFloat(Float.floatToRawIntBits(gp[j]) & keep);
        gp[j] = g;
        int k = argmax(conv, row + 2 * pw, width, a);
        argmax[j] = k;
        sd += g;
        sdx += g * (conv[k] - mu);
      }
    }
    sumDy[c] += sd;
    sumDyCentered[c] += sdx;
  }

  /** The dense part of dx: c·(x − μ) + e (one index expression: vectorized). */
  static void batchNormBackward(float[] o, float mu, float c, float e, float[] dx, int hw) {
    for (int p = 0; p < hw; p++) {
      dx[p] = c * (o[p] - mu) + e;
    }
  }

  /** dx += a·dy at each window's argmax (dy: the ReLU-masked pooled gradient, argmax: offsets). */
  private static void scatterPooled(BlockState s, int plane, float a) {
    float[] gp = s.gradPooled;
    int[] argmax = s.argmax;
    float[] dx = s.dx[plane];
    int pb = plane * s.outPlane;
    for (int j = pb, end = pb + s.outPlane; j < end; j++) {
      dx[argmax[j]] += a * gp[j];
    }
  }

  /**
   * Copies the contiguous FLOAT array {@code a}, consecutive planes of length {@code len}, into
   * {@code planes[firstPlane …]}: one native copy into {@code flat}, then Java copies (a native
   * call per plane costs more on small planes).
   */
  private static void getPlanes(INDArray a, float[] flat, float[][] planes, int firstPlane,
      int len) {
    copyIn(a, 0, flat, 0, flat.length);
    for (int i = 0, count = flat.length / len; i < count; i++) {
      System.arraycopy(flat, i * len, planes[firstPlane + i], 0, len);
    }
  }

  /**
   * Writes {@code count} planes of length {@code len} from {@code planes[firstPlane …]}, [n][C]
   * ordered, into a contiguous FLOAT array, [n][C] ordered ({@code n} = 1) or [C][n] ordered
   * ({@code n} = the images of the slice), through {@code flat}.
   */
  private static void putPlanes(float[][] planes, int firstPlane, int count, float[] flat,
      INDArray a, int len, int n) {
    int channels = count / n;
    for (int i = 0; i < count; i++) {
      int target = n == 1 ? i : (i % channels) * n + i / channels;
      System.arraycopy(planes[firstPlane + i], 0, flat, target * len, len);
    }
    copyOut(flat, 0, count * len, a, 0);
  }

  /** Copies {@code length} elements of a C-contiguous FLOAT array from {@code from} into dst. */
  static void copyIn(INDArray a, long from, float[] dst, int dstOffset, int length) {
    requireContiguous(a, from + length);
    new FloatPointer(a.data().addressPointer()).position(from).get(dst, dstOffset, length);
  }

  /** Writes {@code src[srcOffset …]} into a C-contiguous FLOAT array from element {@code to}. */
  /**
   * Copies part {@code part} of a block's pooled output: into the next block's input of that
   * part, or, after the last block, into its rows of the flat output.
   */
  private static void handOn(BlockState block, int part, float[] pooled, INDArray flat,
      INDArray nextInput) {
    Slice slice = block.slices[part];
    int length = slice.count * block.co * block.outPlane;
    int from = slice.first * block.co * block.outPlane;
    if (nextInput == null) {
      copyOut(pooled, from, length, flat, from);
    } else {
      copyOut(pooled, from, length, nextInput, 0);
    }
  }

  static void copyOut(float[] src, int srcOffset, int length, INDArray a, long to) {
    requireContiguous(a, to + length);
    new FloatPointer(a.data().addressPointer()).position(to).put(src, srcOffset, length);
  }

  private static void requireContiguous(INDArray a, long atLeast) {
    boolean contiguous = a.dataType() == DataType.FLOAT && a.ordering() == 'c' && !a.isView()
        && a.offset() == 0 && Shape.hasDefaultStridesForShape(a)
        && a.data().length() == a.length();
    if (!contiguous || a.length() < atLeast) {
      throw new IllegalArgumentException("expected a contiguous FLOAT array of at least "
          + atLeast + " values, got " + a.dataType() + " " + Arrays.toString(a.shape()));
    }
  }

  /** Buffers of one input shape. */
  static final class State {
    final int n;
    /** Parts in use: the partition count, or fewer for a batch smaller than it. */
    final int parts;
    final BlockState[] blocks;
    /** Forward-mode buffers, allocated by the first {@link #tangent}. */
    private TangentBuffers[] tangents;

    State(int n, int parts, BlockState[] blocks) {
      this.n = n;
      this.parts = parts;
      this.blocks = blocks;
    }

    TangentBuffers[] tangents() {
      if (tangents == null) {
        tangents = Arrays.stream(blocks).map(TangentBuffers::new).toArray(TangentBuffers[]::new);
      }
      return tangents;
    }

    /** Elements per example of the last block's pooled output. */
    int flatWidth() {
      BlockState last = blocks[blocks.length - 1];
      return last.co * last.outPlane;
    }
  }

  /**
   * One part's images [first, end) of one block: the libnd4j arrays its ops read and write, so
   * that parts can run their convolutions at the same time.
   */
  static final class Slice {
    final int first;
    final int end;
    final int count;
    /** The block's input [count, C, H, W]. */
    final INDArray input;
    final INDArray convOut;
    /** dL/d(conv output), [count, C', H', W'] (first block: [C', count, H', W']). */
    final INDArray gradConv;
    /** dL/d(input), null in the first block (not needed). */
    final INDArray gradInput;
    /** The first block's input as [C, count, H, W], else null. */
    final INDArray transposedInput;
    /** This part's weight gradient [C', C, 3, 3] (first block: [C, C', 3, 3]). */
    final INDArray dW;
    /** Staging copy of a conv-output-shaped array of this part, for the plane copies. */
    final float[] flat;

    Slice(int first, int end, int index, int ci, int h, int w, int co, int ho, int wo) {
      this.first = first;
      this.end = end;
      this.count = end - first;
      this.input = Nd4j.createUninitialized(DataType.FLOAT, count, ci, h, w);
      this.convOut = Nd4j.createUninitialized(DataType.FLOAT, count, co, ho, wo);
      this.gradConv = index == 0
          ? Nd4j.createUninitialized(DataType.FLOAT, co, count, ho, wo)
          : Nd4j.createUninitialized(DataType.FLOAT, count, co, ho, wo);
      this.gradInput = index == 0 ? null
          : Nd4j.createUninitialized(DataType.FLOAT, count, ci, h, w);
      this.transposedInput = index == 0
          ? Nd4j.createUninitialized(DataType.FLOAT, ci, count, h, w) : null;
      this.dW = index == 0 ? Nd4j.createUninitialized(DataType.FLOAT, ci, co, 3, 3)
          : Nd4j.createUninitialized(DataType.FLOAT, co, ci, 3, 3);
      this.flat = new float[count * co * ho * wo];
    }
  }

  /** Forward-mode tangents and scratch of one block at one input shape. */
  static final class TangentBuffers {
    /** The pooled output's tangent, laid out as {@link BlockState#pooled}. */
    final float[] pooled;
    /** Per part: the input's tangent [count, C, H, W], ẋ ⋆ W and its staging copy; null in the first block. */
    final INDArray[] input;
    final INDArray[] convOut;
    final float[][] flat;
    /** Per part: one plane of ṫ, for the moment loop. */
    final float[][] plane;
    final float[] gammaDot;
    final float[] betaDot;
    final float[] coefC;
    final float[] coefE;

    TangentBuffers(BlockState s) {
      pooled = new float[s.n * s.co * s.outPlane];
      input = new INDArray[s.parts];
      convOut = new INDArray[s.parts];
      flat = new float[s.parts][];
      plane = new float[s.parts][s.hw];
      if (s.index > 0) {
        for (int part = 0; part < s.parts; part++) {
          Slice slice = s.slices[part];
          input[part] = Nd4j.createUninitialized(DataType.FLOAT, slice.input.shape());
          convOut[part] = Nd4j.createUninitialized(DataType.FLOAT, slice.convOut.shape());
          flat[part] = new float[slice.flat.length];
        }
      }
      gammaDot = new float[s.co];
      betaDot = new float[s.co];
      coefC = new float[s.co];
      coefE = new float[s.co];
    }

    /** γ̇ and β̇ of the direction (its running-statistics entries do not enter a training forward). */
    void readDirection(BlockParams p, BlockState s) {
      float[] all = p.uBatchNorm().toFloatVector();
      System.arraycopy(all, 0, gammaDot, 0, s.co);
      System.arraycopy(all, s.co, betaDot, 0, s.co);
    }

    /** μ̇ and σ̇ from the parts' lanes, then ẏ's coefficients c and e. */
    void reduceMoments(BlockState s, BlockParams p) {
      double m = (double) s.n * s.hw;
      for (int c = 0; c < s.co; c++) {
        double sumDot = s.laneSum(s.s1, c);
        double sumCenteredDot = s.laneSum(s.s2, c);
        double sigma = Math.sqrt(s.var[c] + p.eps());
        double meanDot = sumDot / m;
        // σ² = mean((t − μ)²) ⇒ 2σσ̇ = 2·mean((t − μ)·(ṫ − μ̇)) = 2·mean((t − μ)·ṫ)
        double sigmaDot = sumCenteredDot / m / sigma;
        coefC[c] = (float) (gammaDot[c] / sigma - s.gamma[c] * sigmaDot / (sigma * sigma));
        coefE[c] = (float) (betaDot[c] - s.scale[c] * meanDot);
      }
    }
  }

  /** Activations, gradients and scratch of one block at one input shape. */
  static final class BlockState {
    final int index;
    final int n;
    final int ci;
    final int co;
    final int ho;
    final int wo;
    final int hp;
    final int wp;
    final int hw;
    final int outPlane;
    final int parts;
    final Slice[] slices;
    final float[][] conv;
    final float[][] dx;
    final float[] pooled;
    /** Offset of each window's argmax in its plane, set by the backward. */
    final int[] argmax;
    final float[] gradPooled;
    final float[][][] s1;
    final float[][][] s2;
    final double[][] sumDy;
    final double[][] sumDyCentered;
    final float[] shiftK;
    final float[] mean;
    final float[] var;
    final float[] scale;
    final float[] shift;
    final float[] coefC;
    final float[] coefE;
    final float[] gamma;
    final float[] beta;
    final float[] runningMean;
    final float[] runningLog10Std;
    /** dγ, dβ and the running-statistics "gradients", in the layout of BlockParams.dBatchNorm. */
    final float[] batchNormGradients;
    final INDArray batchNormGradientsOut;
    final float[] weightGradientSum;
    final float[] weightGradientPart;
    boolean nonFinite;
    /** Whether {@link #argmax} holds the windows of the latest forward (a backward ran since). */
    boolean argmaxCurrent;

    BlockState(int index, int n, int ci, int h, int w, int co, int parts) {
      this.index = index;
      this.n = n;
      this.ci = ci;
      this.co = co;
      this.ho = h - 2;
      this.wo = w - 2;
      this.hp = ho / 2;
      this.wp = wo / 2;
      this.hw = ho * wo;
      this.outPlane = hp * wp;
      this.parts = parts;
      this.slices = new Slice[parts];
      for (int part = 0; part < parts; part++) {
        slices[part] = new Slice(n * part / parts, n * (part + 1) / parts, index, ci, h, w, co,
            ho, wo);
      }
      this.conv = new float[n * co][hw];
      this.dx = new float[n * co][hw];
      this.pooled = new float[n * co * outPlane];
      this.argmax = new int[n * co * outPlane];
      this.gradPooled = new float[n * co * outPlane];
      this.s1 = new float[parts][co][hw];
      this.s2 = new float[parts][co][hw];
      this.sumDy = new double[parts][co];
      this.sumDyCentered = new double[parts][co];
      this.shiftK = new float[co];
      this.mean = new float[co];
      this.var = new float[co];
      this.scale = new float[co];
      this.shift = new float[co];
      this.coefC = new float[co];
      this.coefE = new float[co];
      this.gamma = new float[co];
      this.beta = new float[co];
      this.runningMean = new float[co];
      this.runningLog10Std = new float[co];
      this.batchNormGradients = new float[4 * co];
      this.batchNormGradientsOut = Nd4j.createUninitialized(DataType.FLOAT, 4L * co);
      this.weightGradientSum = new float[co * ci * 9];
      this.weightGradientPart = new float[co * ci * 9];
    }

    /** γ, β, running mean and running log10 σ, then K = the running mean where finite. */
    void readParams(BlockParams p) {
      float[] all = p.batchNorm().toFloatVector();
      if (all.length != 4 * co) {
        throw new IllegalArgumentException("block " + index + " batch-norm has " + all.length
            + " parameters, expected 4 x " + co);
      }
      System.arraycopy(all, 0, gamma, 0, co);
      System.arraycopy(all, co, beta, 0, co);
      System.arraycopy(all, 2 * co, runningMean, 0, co);
      System.arraycopy(all, 3 * co, runningLog10Std, 0, co);
      for (int c = 0; c < co; c++) {
        shiftK[c] = Float.isFinite(runningMean[c]) ? runningMean[c] : 0f;
      }
    }

    /** Inference: a = γ/√(σ² + ε), b = β − μ·a from the running mean and log10 σ. */
    void runningStatistics(BlockParams p) {
      nonFinite = false;
      for (int c = 0; c < co; c++) {
        normalizeWith(c, runningMean[c], Math.pow(10.0, 2.0 * runningLog10Std[c]), p.eps());
      }
    }

    /** Batch mean and (biased) variance from the lanes, then a = γ/σ, b = β − μ·a. */
    void reduceMoments(BlockParams p) {
      double m = (double) n * hw;
      nonFinite = false;
      for (int c = 0; c < co; c++) {
        double d = laneSum(s1, c) / m;
        double v = Math.max(0, laneSum(s2, c) / m - d * d);
        normalizeWith(c, shiftK[c] + d, v, p.eps());
      }
    }

    /** Channel c's statistics μ, σ², then a = γ/√(σ² + ε), b = β − μ·a. */
    private void normalizeWith(int c, double mu, double v, double eps) {
      double a = gamma[c] / Math.sqrt(v + eps);
      mean[c] = (float) mu;
      var[c] = (float) v;
      scale[c] = (float) a;
      shift[c] = (float) (beta[c] - mu * a);
      nonFinite |= !Double.isFinite(v) || !Double.isFinite(mu);
    }

    /** Σ over the parts' float lanes of channel c, in part order, in double. */
    double laneSum(float[][][] lanes, int c) {
      double sum = 0;
      for (int part = 0; part < parts; part++) {
        float[] lane = lanes[part][c];
        for (int i = 0; i < hw; i++) {
          sum += lane[i];
        }
      }
      return sum;
    }

    /**
     * dβ = Σdy, dγ = Σdy·x̂, DL4J's running-statistics "gradients", and the coefficients of
     * dx = a·dy + c·(x − μ) + e: c = −a·dγ/(σ·M), e = −a·dβ/M.
     */
    void reduceBatchNormGradients(BlockParams p) {
      double m = (double) n * hw;
      float[] grads = batchNormGradients;
      float[] log10Std = runningLog10Std;
      double decay = p.decay();
      for (int c = 0; c < co; c++) {
        double sd = 0;
        double sdx = 0;
        for (int part = 0; part < parts; part++) {
          sd += sumDy[part][c];
          sdx += sumDyCentered[part][c];
        }
        double inverseStd = 1.0 / Math.sqrt(var[c] + p.eps());
        double dg = sdx * inverseStd;
        grads[co + c] = (float) sd;
        grads[c] = (float) dg;
        coefC[c] = (float) (-scale[c] * dg * inverseStd / m);
        coefE[c] = (float) (-scale[c] * sd / m);
        // DL4J's "distributed safe" running-statistics update, stored as a gradient to subtract
        grads[2 * co + c] = (float) ((runningMean[c] - (double) mean[c]) * (1 - decay));
        double previousVar = Math.pow(10.0, 2.0 * log10Std[c]);
        double nextVar = decay * previousVar + (1 - decay) * var[c];
        grads[3 * co + c] =
            (float) (Math.log(previousVar / nextVar) / (2.0 * Math.log(10.0)));
      }
      copyOut(grads, 0, grads.length, batchNormGradientsOut, 0);
      p.dBatchNorm().assign(batchNormGradientsOut.reshape(p.dBatchNorm().shape()));
    }

    /** The weight gradient: the parts' sum, in a fixed order (first block: transposed back). */
    void reduceWeightGradient(BlockParams p) {
      if (parts > 1) {
        // few thousand values: Java sums beat one libnd4j op per part
        float[] sum = weightGradientSum;
        copyIn(slices[0].dW, 0, sum, 0, sum.length);
        for (int part = 1; part < parts; part++) {
          copyIn(slices[part].dW, 0, weightGradientPart, 0, sum.length);
          for (int i = 0; i < sum.length; i++) {
            sum[i] += weightGradientPart[i];
          }
        }
        copyOut(sum, 0, sum.length, slices[0].dW, 0);
      }
      INDArray total = slices[0].dW;
      p.dW().assign(index == 0 ? total.permute(1, 0, 2, 3) : total);
    }
  }
}
