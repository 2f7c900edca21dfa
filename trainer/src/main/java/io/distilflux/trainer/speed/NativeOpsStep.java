package io.distilflux.trainer.speed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.ops.impl.summarystats.Variance;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The training-mode forward and backward pass of a cifar-very-tiny-shaped student computed
 * directly with libnd4j ops ({@code conv2d}, {@code conv2d_bp}, {@code batchnorm}, {@code
 * batchnorm_bp}, {@code maxpool2d}, {@code maxpool2d_bp}, gemm) instead of DL4J's layer code, on
 * the parameters of an existing DL4J network.
 *
 * <p>Supported structure ({@link #unsupportedReason}): k blocks of NCHW conv (3×3 or any kernel,
 * stride 1, no padding, no bias, identity activation) → BatchNorm (log-std running
 * variance, learned γ/β) → ReLU activation layer → 2×2/2 max-pool, then dense ReLU and dense
 * identity (logits), with no dropout or weight noise: {@code StudentArchitectures}'
 * cifar-very-tiny and {@link VeryTinyCifarNetwork}, its copy with DL4J speed settings.
 *
 * <p>It reads the network's parameter views and writes the same flat gradient layout that {@code
 * MultiLayerNetwork.backpropGradient} produces (including DL4J's BatchNorm running-statistics
 * "gradients"), so {@code net.params()} remains the single source of truth. Activations and
 * gradients live in buffers allocated once per input shape and reused by every later call; the
 * arrays it returns are therefore overwritten by the next call. Not thread-safe.
 */
public final class NativeOpsStep implements PlainStep {

  private static final int NCHW = 0;
  private static final int NHWC = 1;
  /** libnd4j weight layout 1 = [oC, iC, kH, kW], DL4J's own conv weight layout. */
  private static final int WEIGHTS_OIHW = 1;
  private static final double ONE_ON_2LOGE_10 = 1.0 / (2.0 * Math.log(10.0));
  /** Distinct input shapes whose buffers are kept (training batch, validation batch, a tail). */
  private static final int MAX_CACHED_SHAPES = 4;

  private final List<ConvBlock> blocks = new ArrayList<>();
  private final DenseParams hidden;
  private final DenseParams output;
  private final INDArray flatGradient;
  /** The direction of the latest {@link #tangent}, laid out as the parameters. */
  private final INDArray flatDirection;
  private final DataType dataType;
  private final Map<List<Long>, Buffers> buffersByShape = new LinkedHashMap<>();
  private Buffers lastTrainingForward;
  private OpClock clock;
  /** Activation layout of the conv blocks; the network's input and flatten order stay NCHW. */
  private final boolean nhwc;
  /** The conv blocks as fused Java loops, or null for the libnd4j ops. */
  private final PlanarConvStack planar;

  /** How the conv blocks are computed; the dense layers are BLAS gemms in every case. */
  public enum ConvEngine {
    /** {@link PlanarConvStack}: fused Java loops over planar float arrays (FLOAT, 3×3 only). */
    PLANAR_JAVA,
    /** libnd4j's oneDNN-backed ops in NHWC. */
    LIBND4J_NHWC,
    /** libnd4j's oneDNN-backed ops in NCHW. */
    LIBND4J_NCHW
  }

  /**
   * Image partitions of the planar engine by default: two, so that one step can use both cores
   * of a small machine. The numbers depend on the partition count (how batch sums are split),
   * never on the threads actually present.
   */
  public static final int DEFAULT_PARTS = 2;

  /**
   * Binds to the parameters of a supported network; gradients go to a flat array of its own. The
   * planar engine, where it fits, splits the batch into {@link #DEFAULT_PARTS} parts computed on
   * {@link #defaultThreads()} threads.
   *
   * @throws IllegalArgumentException with {@link #unsupportedReason} if the structure differs
   */
  public NativeOpsStep(MultiLayerNetwork net) {
    this(net, defaultThreads());
  }

  /**
   * As {@link #NativeOpsStep(MultiLayerNetwork)}, the planar engine's parts computed on {@code
   * threads} threads (at most {@link #DEFAULT_PARTS} are used; the libnd4j engines use one).
   *
   * @throws IllegalArgumentException if {@code threads < 1} or the structure differs
   */
  public NativeOpsStep(MultiLayerNetwork net, int threads) {
    this(net, defaultEngine(net), planarFits(net) ? DEFAULT_PARTS : 1,
        planarFits(net) ? Math.min(DEFAULT_PARTS, positive(threads)) : 1);
  }

  /** Threads of a step by default: one per processor, up to {@link #DEFAULT_PARTS}. */
  public static int defaultThreads() {
    return Math.min(DEFAULT_PARTS, Runtime.getRuntime().availableProcessors());
  }

  private static int positive(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    return threads;
  }

  /**
   * As {@link #NativeOpsStep(MultiLayerNetwork)}, with the activation layout of the conv blocks
   * chosen: the math is the same, oneDNN's kernels are faster in NHWC on these shapes.
   */
  public NativeOpsStep(MultiLayerNetwork net, CNN2DFormat layout) {
    this(net, layout == CNN2DFormat.NHWC ? ConvEngine.LIBND4J_NHWC : ConvEngine.LIBND4J_NCHW, 1,
        1);
  }

  /**
   * As {@link #NativeOpsStep(MultiLayerNetwork)} with the conv engine chosen and, for {@link
   * ConvEngine#PLANAR_JAVA}, the batch split into {@code parts} image ranges whose convolutions
   * and loops run on {@code threads} threads (the caller's and {@code threads − 1} helpers); the
   * libnd4j engines take 1 and 1.
   *
   * @throws IllegalArgumentException if the structure or the engine does not fit the network
   */
  public NativeOpsStep(MultiLayerNetwork net, ConvEngine engine, int parts, int threads) {
    this.nhwc = engine == ConvEngine.LIBND4J_NHWC;
    Optional<String> reason = unsupportedReason(net);
    if (reason.isPresent()) {
      throw new IllegalArgumentException("network: " + reason.get());
    }
    if (engine != ConvEngine.PLANAR_JAVA && (parts != 1 || threads != 1)) {
      throw new IllegalArgumentException("only the planar engine splits the batch");
    }
    if (engine == ConvEngine.PLANAR_JAVA && !planarFits(net)) {
      throw new IllegalArgumentException("network: the planar Java engine needs FLOAT parameters"
          + " and 3x3 kernels");
    }
    Layer[] layers = net.getLayers();
    dataType = net.params().dataType();
    flatGradient = Nd4j.zeros(dataType, 1, net.numParams());
    flatDirection = Nd4j.zeros(dataType, 1, net.numParams());
    long offset = 0;
    int blockCount = (layers.length - 2) / 4;
    for (int b = 0; b < blockCount; b++) {
      Layer conv = layers[4 * b];
      Layer bn = layers[4 * b + 1];
      ConvolutionLayer convConf = (ConvolutionLayer) conv.conf().getLayer();
      BatchNormalization bnConf = (BatchNormalization) bn.conf().getLayer();
      Map<String, INDArray> convGrads = views(conv, offset, flatGradient);
      INDArray convDirection =
          views(conv, offset, flatDirection).get(ConvolutionParamInitializer.WEIGHT_KEY);
      offset += conv.numParams();
      Map<String, INDArray> bnGrads = views(bn, offset, flatGradient);
      INDArray bnGradAll = flatGradient.get(NDArrayIndex.point(0),
          NDArrayIndex.interval(offset, offset + bn.numParams())).reshape(-1);
      INDArray bnDirectionAll = flatDirection.get(NDArrayIndex.point(0),
          NDArrayIndex.interval(offset, offset + bn.numParams())).reshape(-1);
      offset += bn.numParams();
      blocks.add(new ConvBlock(b, conv.getParam(ConvolutionParamInitializer.WEIGHT_KEY),
          convGrads.get(ConvolutionParamInitializer.WEIGHT_KEY),
          convConf.getKernelSize(),
          bn.getParam(BatchNormalizationParamInitializer.GAMMA).reshape(-1),
          bn.getParam(BatchNormalizationParamInitializer.BETA).reshape(-1),
          bn.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(-1),
          bn.getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).reshape(-1),
          bnGrads.get(BatchNormalizationParamInitializer.GAMMA).reshape(-1),
          bnGrads.get(BatchNormalizationParamInitializer.BETA).reshape(-1),
          bnGrads.get(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(-1),
          bnGrads.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).reshape(-1),
          bnConf.getEps(), bnConf.getDecay(), batchNormParams(bn), bnGradAll, convDirection,
          bnDirectionAll));
    }
    Layer d1 = layers[layers.length - 2];
    hidden = dense(d1, views(d1, offset, flatGradient), views(d1, offset, flatDirection));
    offset += d1.numParams();
    Layer d2 = layers[layers.length - 1];
    output = dense(d2, views(d2, offset, flatGradient), views(d2, offset, flatDirection));
    planar = engine == ConvEngine.PLANAR_JAVA
        ? new PlanarConvStack(blocks.stream().map(ConvBlock::params).toList(),
            new Partitions(parts, threads))
        : null;
  }

  /** The planar Java engine where it fits the network ({@link #planarFits}), else NHWC ops. */
  public static ConvEngine defaultEngine(MultiLayerNetwork net) {
    return planarFits(net) ? ConvEngine.PLANAR_JAVA : ConvEngine.LIBND4J_NHWC;
  }

  /** Whether {@link ConvEngine#PLANAR_JAVA} can compute a supported network: FLOAT, 3×3. */
  static boolean planarFits(MultiLayerNetwork net) {
    if (unsupportedReason(net).isPresent() || net.params().dataType() != DataType.FLOAT) {
      return false;
    }
    Layer[] layers = net.getLayers();
    for (int i = 0; i + 2 < layers.length; i += 4) {
      ConvolutionLayer conv = (ConvolutionLayer) layers[i].conf().getLayer();
      if (!Arrays.equals(conv.getKernelSize(), new int[] {3, 3})) {
        return false;
      }
    }
    return true;
  }

  /**
   * Why this class cannot compute {@code net}'s step, or empty if it can (see the class comment
   * for the supported structure).
   */
  public static Optional<String> unsupportedReason(MultiLayerNetwork net) {
    Layer[] layers = net.getLayers();
    if (layers == null || net.params() == null) {
      return Optional.of("the network is not initialised");
    }
    DataType type = net.params().dataType();
    if (type != DataType.FLOAT && type != DataType.DOUBLE) {
      return Optional.of("parameters are " + type + ", expected FLOAT or DOUBLE");
    }
    if (layers.length < 6 || (layers.length - 2) % 4 != 0) {
      return Optional.of(layers.length + " layers is not k conv blocks of 4 layers plus 2 dense");
    }
    MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
    int blockCount = (layers.length - 2) / 4;
    for (int b = 0; b < blockCount; b++) {
      int i = 4 * b;
      if (conf.getInputPreProcess(i) != null) {
        return Optional.of("layer " + i + " has an input preprocessor");
      }
      if (layers[i].conf().getLayer().getClass() != ConvolutionLayer.class
          || !plainConv((ConvolutionLayer) layers[i].conf().getLayer())) {
        return Optional.of(
            "layer " + i + " is not an NCHW stride-1 unpadded bias-free identity conv");
      }
      if (!(layers[i + 1].conf().getLayer() instanceof BatchNormalization bn)
          || !bn.isUseLogStd() || bn.isLockGammaBeta() || bn.getCnn2DFormat() != CNN2DFormat.NCHW
          || !bn.isMinibatch()) {
        return Optional.of("layer " + (i + 1)
            + " is not an NCHW BatchNormalization with log-std variance and learned gamma/beta");
      }
      if (!(layers[i + 2].conf().getLayer() instanceof ActivationLayer act)
          || !(act.getActivationFn() instanceof ActivationReLU)) {
        return Optional.of("layer " + (i + 2) + " is not a ReLU activation layer");
      }
      if (!(layers[i + 3].conf().getLayer() instanceof SubsamplingLayer pool)
          || !halvingMaxPool(pool)) {
        return Optional.of("layer " + (i + 3) + " is not an NCHW 2x2 stride-2 max-pool");
      }
      for (int j = i; j < i + 4; j++) {
        if (layers[j].conf().getLayer().getIDropout() != null) {
          return Optional.of("layer " + j + " uses dropout");
        }
      }
    }
    int d1 = layers.length - 2;
    if (!(conf.getInputPreProcess(d1) instanceof CnnToFeedForwardPreProcessor flatten)
        || flatten.getFormat() != CNN2DFormat.NCHW) {
      return Optional.of("layer " + d1 + " is not fed by an NCHW CNN-to-dense preprocessor");
    }
    if (!plainDense(layers[d1], ActivationReLU.class)) {
      return Optional.of("layer " + d1 + " is not a dense ReLU layer with bias");
    }
    if (conf.getInputPreProcess(d1 + 1) != null
        || !plainDense(layers[d1 + 1], ActivationIdentity.class)) {
      return Optional.of("layer " + (d1 + 1) + " is not a dense identity (logits) layer with bias");
    }
    return Optional.empty();
  }

  /** Whether {@link #unsupportedReason} is empty. */
  public static boolean supports(MultiLayerNetwork net) {
    return unsupportedReason(net).isEmpty();
  }

  private static boolean plainConv(ConvolutionLayer conv) {
    // a conv bias in front of batch-norm is redundant (β absorbs it), so the real student has none
    return conv.getCnn2dDataFormat() == CNN2DFormat.NCHW
        && !conv.hasBias()
        && conv.getActivationFn() instanceof ActivationIdentity
        && Arrays.equals(conv.getStride(), new int[] {1, 1})
        && Arrays.equals(conv.getPadding(), new int[] {0, 0})
        && Arrays.equals(conv.getDilation(), new int[] {1, 1})
        && conv.getConvolutionMode() != ConvolutionMode.Same
        && conv.getConvolutionMode() != ConvolutionMode.Causal
        && conv.getWeightNoise() == null;
  }

  private static boolean halvingMaxPool(SubsamplingLayer pool) {
    return pool.getPoolingType() == PoolingType.MAX
        && pool.getCnn2dDataFormat() == CNN2DFormat.NCHW
        && Arrays.equals(pool.getKernelSize(), new int[] {2, 2})
        && Arrays.equals(pool.getStride(), new int[] {2, 2})
        && Arrays.equals(pool.getPadding(), new int[] {0, 0})
        && Arrays.equals(pool.getDilation(), new int[] {1, 1})
        && pool.getConvolutionMode() != ConvolutionMode.Same
        && pool.getConvolutionMode() != ConvolutionMode.Causal;
  }

  private static boolean plainDense(Layer layer, Class<?> activation) {
    return layer.conf().getLayer() instanceof DenseLayer dense
        && dense.getClass() == DenseLayer.class
        && dense.hasBias() && !dense.hasLayerNorm()
        && activation.isInstance(dense.getActivationFn())
        && dense.getIDropout() == null && dense.getWeightNoise() == null;
  }

  /** A layer's views into a flat array laid out as the parameters (gradient, direction). */
  private static Map<String, INDArray> views(Layer layer, long offset, INDArray flat) {
    INDArray view = flat.get(NDArrayIndex.point(0),
        NDArrayIndex.interval(offset, offset + layer.numParams())).reshape(1, -1);
    return layer.conf().getLayer().initializer().getGradientsFromFlattened(layer.conf(), view);
  }

  /**
   * A batch-norm layer's parameter vector, flat, after checking that it holds [γ, β, running
   * mean, running log10 σ] in that order (DL4J's initializer layout, which its gradient vector
   * shares): the planar engine reads and writes all four in one op.
   */
  private static INDArray batchNormParams(Layer bn) {
    INDArray all = bn.params().reshape(-1);
    long channels = bn.getParam(BatchNormalizationParamInitializer.GAMMA).length();
    String[] order = {BatchNormalizationParamInitializer.GAMMA,
        BatchNormalizationParamInitializer.BETA, BatchNormalizationParamInitializer.GLOBAL_MEAN,
        BatchNormalizationParamInitializer.GLOBAL_LOG_STD};
    if (all.length() != order.length * channels) {
      throw new IllegalArgumentException("batch-norm layer has " + all.length()
          + " parameters, expected " + order.length * channels);
    }
    for (int i = 0; i < order.length; i++) {
      if (bn.getParam(order[i]).offset() != all.offset() + i * channels) {
        throw new IllegalArgumentException("batch-norm parameter " + order[i]
            + " is not at position " + i + " of the layer's parameters");
      }
    }
    return all;
  }

  private static DenseParams dense(Layer layer, Map<String, INDArray> grads,
      Map<String, INDArray> direction) {
    return new DenseParams(layer.getParam(DefaultParamInitializer.WEIGHT_KEY),
        layer.getParam(DefaultParamInitializer.BIAS_KEY),
        grads.get(DefaultParamInitializer.WEIGHT_KEY), grads.get(DefaultParamInitializer.BIAS_KEY),
        direction.get(DefaultParamInitializer.WEIGHT_KEY),
        direction.get(DefaultParamInitializer.BIAS_KEY));
  }

  /** The flat gradient array every {@link #backward} writes into (layout of {@code net.params()}). */
  public INDArray gradient() {
    return flatGradient;
  }

  /**
   * Training-mode forward (batch-norm on batch statistics) that keeps its activations for a
   * following {@link #backward}.
   *
   * @param inputNchw [B, C, H, W]
   * @return logits [B, K], a buffer that the next forward overwrites
   */
  @Override
  public INDArray logits(INDArray inputNchw) {
    Buffers buffers = buffersFor(inputNchw);
    forward(inputNchw, buffers);
    lastTrainingForward = buffers;
    return buffers.logits;
  }

  /**
   * Backprop of {@code epsilon} = dLoss/dLogits through the latest {@link #logits} call.
   *
   * @return {@link #gradient()}, overwritten
   * @throws IllegalStateException if no training forward preceded it
   */
  public INDArray backward(INDArray epsilon) {
    Buffers f = lastTrainingForward;
    lap(-1, null);
    if (f == null) {
      throw new IllegalStateException("backward needs a preceding training-mode forward");
    }
    if (!Arrays.equals(epsilon.shape(), f.logits.shape())) {
      throw new IllegalArgumentException("epsilon has shape " + Arrays.toString(epsilon.shape())
          + " but the logits have " + Arrays.toString(f.logits.shape()));
    }
    // dense hidden -> logits (identity)
    Nd4j.gemm(f.hidden, epsilon, output.dW, true, false, 1.0, 0.0);
    lap(-1, "dense2.gemm_dW");
    epsilon.sum(output.db, 0);
    lap(-1, "dense2.sum_db");
    Nd4j.gemm(epsilon, output.w, f.gradHidden, false, true, 1.0, 0.0);
    lap(-1, "dense2.gemm_dx");
    Nd4j.exec(DynamicCustomOp.builder("relu_bp").addInputs(f.hidden, f.gradHidden)
        .addOutputs(f.gradHidden).addFloatingPointArguments(0.0).build());
    lap(-1, "dense1.relu_bp");
    // dense flat -> hidden (ReLU)
    Nd4j.gemm(f.flat, f.gradHidden, hidden.dW, true, false, 1.0, 0.0);
    lap(-1, "dense1.gemm_dW");
    f.gradHidden.sum(hidden.db, 0);
    lap(-1, "dense1.sum_db");
    Nd4j.gemm(f.gradHidden, hidden.w, f.gradFlat, false, true, 1.0, 0.0);
    lap(-1, "dense1.gemm_dx");
    if (planar != null) {
      planar.backward(f.planarState, f.gradFlat);
      lap(-1, "planar_conv_blocks_bp");
      return flatGradient;
    }
    INDArray grad;
    if (nhwc) {
      f.gradPooled.assign(f.gradFlat.reshape('c', f.pooledNchw.shape()).permute(0, 2, 3, 1));
      grad = f.gradPooled;
    } else {
      grad = f.gradFlat.reshape('c', f.blocks[blocks.size() - 1].pooled.shape());
    }
    for (int b = blocks.size() - 1; b >= 0; b--) {
      grad = blocks.get(b).backward(f.blockInputs[b], f.blocks[b], grad);
    }
    return flatGradient;
  }

  /**
   * Inference-mode logits (batch-norm on the running statistics), as DL4J's {@code output(x,
   * false)}; the training forward's activations are left alone.
   *
   * @return logits [B, K], a buffer that the next forward of the same input shape overwrites
   * @throws UnsupportedOperationException unless the planar engine computes this network
   */
  public INDArray inferenceLogits(INDArray inputNchw) {
    if (planar == null) {
      throw new UnsupportedOperationException("only the planar engine has an inference mode");
    }
    Buffers buffers = buffersFor(inputNchw);
    if (buffers == lastTrainingForward) {
      lastTrainingForward = null;
    }
    lap(-1, null);
    planar.forward(inputNchw, buffers.planarState, buffers.flat, false);
    lap(-1, "planar_conv_blocks");
    dense(buffers);
    return buffers.logits;
  }

  /** Whether {@link #inferenceLogits} is available (the planar engine). */
  public boolean hasInference() {
    return planar != null;
  }

  /** Whether {@link #tangent} is available: the planar engine has a forward mode. */
  public boolean hasTangent() {
    return planar != null;
  }

  /**
   * Forward-mode derivative of the latest {@link #logits} call along a parameter direction: the
   * exact Jacobian-vector product J·u of those logits, at the parameters that forward read
   * (which the caller must have left unchanged or restored), from its own activations and batch
   * statistics. For the dense layers: ḣ = relu'(h)·(ẋW₁ + xU₁ + u_b₁), ż = ḣW₂ + hU₂ + u_b₂;
   * the conv blocks as {@code PlanarConvStack#tangent}. Costs about one forward.
   *
   * @param direction u, laid out as {@code net.params()}
   * @return J·u [B, K], a buffer that the next tangent of the same input shape overwrites
   * @throws UnsupportedOperationException if {@link #hasTangent()} is false
   * @throws IllegalStateException if no training forward preceded it
   */
  public INDArray tangent(INDArray direction) {
    if (planar == null) {
      throw new UnsupportedOperationException("only the planar engine has a forward mode");
    }
    Buffers f = lastTrainingForward;
    if (f == null) {
      throw new IllegalStateException("a tangent needs a preceding training-mode forward");
    }
    if (direction.length() != flatDirection.length()) {
      throw new IllegalArgumentException("direction has " + direction.length()
          + " values but the network has " + flatDirection.length() + " parameters");
    }
    flatDirection.assign(direction.reshape(flatDirection.shape()));
    Tangents t = f.tangents;
    lap(-1, null);
    planar.tangent(f.planarState, t.flat);
    lap(-1, "t.planar");
    Nd4j.gemm(t.flat, hidden.w, t.hidden, false, false, 1.0, 0.0);
    Nd4j.gemm(f.flat, hidden.uW, t.hidden, false, false, 1.0, 1.0);
    t.hidden.addiRowVector(hidden.uB);
    // relu_bp passes its epsilon where the (post-ReLU) hidden activation is positive
    Nd4j.exec(DynamicCustomOp.builder("relu_bp").addInputs(f.hidden, t.hidden)
        .addOutputs(t.hidden).addFloatingPointArguments(0.0).build());
    Nd4j.gemm(t.hidden, output.w, t.logits, false, false, 1.0, 0.0);
    Nd4j.gemm(f.hidden, output.uW, t.logits, false, false, 1.0, 1.0);
    t.logits.addiRowVector(output.uB);
    lap(-1, "t.dense");
    return t.logits;
  }

  @Override
  public INDArray step(INDArray inputNchw, INDArray epsilon) {
    logits(inputNchw);
    return backward(epsilon);
  }

  private Buffers buffersFor(INDArray x) {
    if (x.rank() != 4 || x.dataType() != dataType) {
      throw new IllegalArgumentException("input must be " + dataType + " [B, C, H, W], got "
          + x.dataType() + " " + Arrays.toString(x.shape()));
    }
    List<Long> key = Arrays.stream(x.shape()).boxed().toList();
    Buffers buffers = buffersByShape.get(key);
    if (buffers == null) {
      if (buffersByShape.size() >= MAX_CACHED_SHAPES) {
        buffersByShape.clear();
        lastTrainingForward = null;
      }
      buffers = allocate(x.shape());
      buffersByShape.put(key, buffers);
    }
    return buffers;
  }

  private Buffers allocate(long[] inputShape) {
    long n = inputShape[0];
    if (planar != null) {
      PlanarConvStack.State state = planar.allocate(inputShape);
      if (state.flatWidth() != hidden.w.size(0)) {
        throw new IllegalArgumentException("input " + Arrays.toString(inputShape)
            + " flattens to " + state.flatWidth() + " features but the dense layer expects "
            + hidden.w.size(0));
      }
      long hiddenWidth = hidden.w.size(1);
      return new Buffers(null, null, null, null, null,
          Nd4j.createUninitialized(dataType, n, state.flatWidth()),
          Nd4j.createUninitialized(dataType, n, hiddenWidth),
          Nd4j.createUninitialized(dataType, n, output.w.size(1)),
          Nd4j.createUninitialized(dataType, n, hiddenWidth),
          Nd4j.createUninitialized(dataType, n, state.flatWidth()), state,
          new Tangents(Nd4j.createUninitialized(dataType, n, state.flatWidth()),
              Nd4j.createUninitialized(dataType, n, hiddenWidth),
              Nd4j.createUninitialized(dataType, n, output.w.size(1))));
    }
    BlockBuffers[] states = new BlockBuffers[blocks.size()];
    long[] in = nhwc
        ? new long[] {n, inputShape[2], inputShape[3], inputShape[1]}
        : inputShape;
    INDArray input = nhwc ? Nd4j.createUninitialized(dataType, in) : null;
    for (int b = 0; b < blocks.size(); b++) {
      states[b] = blocks.get(b).allocate(in, dataType);
      in = states[b].pooled.shape();
    }
    long width = in[1] * in[2] * in[3];
    INDArray pooledNchw = nhwc ? Nd4j.createUninitialized(dataType, n, in[3], in[1], in[2]) : null;
    INDArray gradPooled = nhwc ? Nd4j.createUninitialized(dataType, in) : null;
    INDArray flat = (nhwc ? pooledNchw : states[blocks.size() - 1].pooled).reshape('c', n, width);
    if (width != hidden.w.size(0)) {
      throw new IllegalArgumentException("input " + Arrays.toString(inputShape) + " flattens to "
          + width + " features but the dense layer expects " + hidden.w.size(0));
    }
    long hiddenWidth = hidden.w.size(1);
    return new Buffers(states, new INDArray[blocks.size()], input, pooledNchw, gradPooled, flat,
        Nd4j.createUninitialized(dataType, n, hiddenWidth),
        Nd4j.createUninitialized(dataType, n, output.w.size(1)),
        Nd4j.createUninitialized(dataType, n, hiddenWidth),
        Nd4j.createUninitialized(dataType, n, width), null, null);
  }

  private void forward(INDArray x, Buffers f) {
    lap(-1, null);
    if (planar != null) {
      planar.forward(x, f.planarState, f.flat);
      lap(-1, "planar_conv_blocks");
      dense(f);
      return;
    }
    INDArray in = x;
    if (nhwc) {
      f.input.assign(x.permute(0, 2, 3, 1));
      in = f.input;
      lap(-1, "input_to_nhwc");
    }
    for (int b = 0; b < blocks.size(); b++) {
      f.blockInputs[b] = in;
      blocks.get(b).forward(in, f.blocks[b]);
      in = f.blocks[b].pooled;
    }
    if (nhwc) {
      f.pooledNchw.assign(in.permute(0, 3, 1, 2));
      lap(-1, "flatten_to_nchw");
    }
    dense(f);
  }

  private void dense(Buffers f) {
    Nd4j.gemm(f.flat, hidden.w, f.hidden, false, false, 1.0, 0.0);
    lap(-1, "dense1.gemm");
    f.hidden.addiRowVector(hidden.b);
    Transforms.relu(f.hidden, false);
    lap(-1, "dense1.bias_relu");
    Nd4j.gemm(f.hidden, output.w, f.logits, false, false, 1.0, 0.0);
    f.logits.addiRowVector(output.b);
    lap(-1, "dense2.gemm_bias");
  }

  private int format() {
    return nhwc ? NHWC : NCHW;
  }

  /** NHWC activations as the [N·H·W, C] matrix they are in memory; NCHW ones unchanged. */
  private INDArray channelMatrix(INDArray activations) {
    return nhwc ? activations.reshape('c', -1, activations.size(3)) : activations;
  }

  /** Starts per-op timing into {@code opClock} (null stops it); for profiling mains only. */
  void profileWith(OpClock opClock) {
    this.clock = opClock;
    if (planar != null) {
      planar.profileWith(opClock);
    }
  }

  private void lap(int block, String op) {
    if (clock != null) {
      clock.lap(block, op);
    }
  }

  /** Activations and gradient scratch of one input shape. */
  private record Buffers(BlockBuffers[] blocks, INDArray[] blockInputs, INDArray input,
      INDArray pooledNchw, INDArray gradPooled, INDArray flat,
      INDArray hidden, INDArray logits, INDArray gradHidden, INDArray gradFlat,
      PlanarConvStack.State planarState, Tangents tangents) {}

  /** Forward-mode buffers of the dense layers (planar engine only). */
  private record Tangents(INDArray flat, INDArray hidden, INDArray logits) {}

  /** Activations and gradient scratch of one conv block. */
  private record BlockBuffers(INDArray conv, INDArray batchMean,
      INDArray batchVar, INDArray activated, INDArray pooled, INDArray gradActivated,
      INDArray gradConv, INDArray gradMean, INDArray gradVar, INDArray gradInput,
      INDArray previousVar, INDArray nextVar, INDArray ones, INDArray scale, INDArray shift,
      INDArray product) {}

  private record DenseParams(INDArray w, INDArray b, INDArray dW, INDArray db, INDArray uW,
      INDArray uB) {}

  private final class ConvBlock {
    private final int index;
    private final INDArray w;
    private final INDArray dW;
    private final int[] kernel;
    private final INDArray gamma;
    private final INDArray beta;
    private final INDArray globalMean;
    private final INDArray globalLog10Std;
    private final INDArray dGamma;
    private final INDArray dBeta;
    private final INDArray dGlobalMean;
    private final INDArray dGlobalLog10Std;
    private final double eps;
    private final double decay;
    /** The layer's whole parameter and gradient vectors, [γ, β, mean, log10 σ]. */
    private final INDArray batchNorm;
    private final INDArray dBatchNorm;
    /** Views of the tangent direction: conv weights and [γ, β, mean, log10 σ]. */
    private final INDArray uW;
    private final INDArray uBatchNorm;

    ConvBlock(int index, INDArray w, INDArray dW, int[] kernel, INDArray gamma,
        INDArray beta, INDArray globalMean, INDArray globalLog10Std, INDArray dGamma,
        INDArray dBeta, INDArray dGlobalMean, INDArray dGlobalLog10Std, double eps,
        double decay, INDArray batchNorm, INDArray dBatchNorm, INDArray uW,
        INDArray uBatchNorm) {
      this.uW = uW;
      this.uBatchNorm = uBatchNorm;
      this.batchNorm = batchNorm;
      this.dBatchNorm = dBatchNorm;
      this.index = index;
      this.w = w;
      this.dW = dW;
      this.kernel = kernel;
      this.gamma = gamma;
      this.beta = beta;
      this.globalMean = globalMean;
      this.globalLog10Std = globalLog10Std;
      this.dGamma = dGamma;
      this.dBeta = dBeta;
      this.dGlobalMean = dGlobalMean;
      this.dGlobalLog10Std = dGlobalLog10Std;
      this.eps = eps;
      this.decay = decay;
    }

    PlanarConvStack.BlockParams params() {
      return new PlanarConvStack.BlockParams(w, dW, batchNorm, dBatchNorm, uW, uBatchNorm, eps,
          decay);
    }

    BlockBuffers allocate(long[] in, DataType type) {
      long n = in[0];
      long channels = w.size(0);
      long height = (nhwc ? in[1] : in[2]) - kernel[0] + 1;
      long width = (nhwc ? in[2] : in[3]) - kernel[1] + 1;
      if (height < 2 || width < 2) {
        throw new IllegalArgumentException("input side " + (height + kernel[0] - 1) + "x"
            + (width + kernel[1] - 1)
            + " is too small for a " + kernel[0] + "x" + kernel[1] + " conv and a 2x2 pool");
      }
      long[] convShape = nhwc
          ? new long[] {n, height, width, channels}
          : new long[] {n, channels, height, width};
      long[] pooledShape = nhwc
          ? new long[] {n, height / 2, width / 2, channels}
          : new long[] {n, channels, height / 2, width / 2};
      return new BlockBuffers(
          Nd4j.createUninitialized(type, convShape),
          Nd4j.createUninitialized(type, channels),
          Nd4j.createUninitialized(type, channels),
          Nd4j.createUninitialized(type, convShape),
          Nd4j.createUninitialized(type, pooledShape),
          Nd4j.createUninitialized(type, convShape),
          Nd4j.createUninitialized(type, convShape),
          Nd4j.createUninitialized(type, channels),
          Nd4j.createUninitialized(type, channels),
          Nd4j.createUninitialized(type, in),
          Nd4j.createUninitialized(type, channels),
          Nd4j.createUninitialized(type, channels),
          nhwc ? Nd4j.ones(type, 1, n * height * width) : null,
          Nd4j.createUninitialized(type, channels),
          Nd4j.createUninitialized(type, channels),
          nhwc ? Nd4j.createUninitialized(type, n * height * width, channels) : null);
    }

    void forward(INDArray in, BlockBuffers s) {
      DynamicCustomOp.DynamicCustomOpsBuilder conv = DynamicCustomOp.builder("conv2d")
          .addInputs(in, w);
      Nd4j.exec(conv.addOutputs(s.conv)
          .addIntegerArguments(kernel[0], kernel[1], 1, 1, 0, 0, 1, 1, 0, format(), WEIGHTS_OIHW)
          .build());
      lap(index, "conv2d");
      if (nhwc) {
        matrixBatchNorm(s);
      } else {
        s.conv.mean(s.batchMean, 0, 2, 3);
        Nd4j.getExecutioner().exec(new Variance(s.conv, s.batchVar, false, 0, 2, 3));
        lap(index, "mean_var");
        Nd4j.exec(DynamicCustomOp.builder("batchnorm")
            .addInputs(s.conv, s.batchMean, s.batchVar, gamma, beta)
            .addOutputs(s.activated).addIntegerArguments(1, 1, 1)
            .addFloatingPointArguments(eps).build());
      }
      lap(index, "batchnorm");
      // max-pool and ReLU commute (ReLU is monotone), so ReLU runs on the 4× smaller pooled map;
      // s.activated keeps the pre-ReLU batch-norm output
      Nd4j.exec(DynamicCustomOp.builder("maxpool2d").addInputs(s.activated).addOutputs(s.pooled)
          .addIntegerArguments(2, 2, 2, 2, 0, 0, 1, 1, 0, 0, format()).build());
      lap(index, "maxpool2d");
      Transforms.relu(s.pooled, false);
      // max-pool and ReLU may turn NaN into numbers; DL4J's layers propagate a non-finite batch
      // statistic to the logits, and so must this (Σ var is finite iff every var is: var ≥ 0)
      if (!Double.isFinite(s.batchVar.sumNumber().doubleValue())) {
        s.pooled.assign(Double.NaN);
      }
      lap(index, "relu");
    }

    INDArray backward(INDArray input, BlockBuffers s, INDArray gradPooled) {
      // ReLU backward on the pooled map (post-ReLU, positive exactly where the pooled max was)
      Nd4j.exec(DynamicCustomOp.builder("relu_bp").addInputs(s.pooled, gradPooled)
          .addOutputs(gradPooled).addFloatingPointArguments(0.0).build());
      lap(index, "relu_bp");
      Nd4j.exec(DynamicCustomOp.builder("maxpool2d_bp").addInputs(s.activated, gradPooled)
          .addOutputs(s.gradActivated).addIntegerArguments(2, 2, 2, 2, 0, 0, 1, 1, 0, 0, format())
          .build());
      lap(index, "maxpool2d_bp");
      if (nhwc) {
        matrixBatchNormBackward(s);
      } else {
        Nd4j.exec(DynamicCustomOp.builder("batchnorm_bp")
            .addInputs(s.conv, s.batchMean, s.batchVar, gamma, beta, s.gradActivated)
            .addOutputs(s.gradConv, s.gradMean, s.gradVar, dGamma, dBeta)
            .addIntegerArguments(1, 1, 1).addFloatingPointArguments(eps).build());
      }
      lap(index, "batchnorm_bp");
      runningStatisticDeltas(s);
      lap(index, "running_stats");
      DynamicCustomOp.DynamicCustomOpsBuilder convBp = DynamicCustomOp.builder("conv2d_bp")
          .addInputs(input, w, s.gradConv);
      Nd4j.exec(convBp
          .addOutputs(s.gradInput, dW)
          .addIntegerArguments(kernel[0], kernel[1], 1, 1, 0, 0, 1, 1, 0, format(), WEIGHTS_OIHW)
          .build());
      lap(index, "conv2d_bp");
      return s.gradInput;
    }

    /**
     * Batch-norm forward on the NHWC activations seen as the [M = N·H·W, C] matrix they are:
     * per-channel sums are ones[1, M]·X products (BLAS), the rest row-vector broadcasts, which
     * beats libnd4j's strided per-channel reductions on these shapes. Two-pass variance, as
     * libnd4j's. s.gradConv serves as scratch (the backward overwrites it).
     */
    private void matrixBatchNorm(BlockBuffers s) {
      INDArray x = channelMatrix(s.conv);
      INDArray scratch = channelMatrix(s.gradConv);
      INDArray ones = s.ones;
      double m = x.size(0);
      Nd4j.gemm(ones, x, s.batchMean.reshape(1, -1), false, false, 1.0 / m, 0.0);
      Nd4j.getExecutioner().exec(new BroadcastSubOp(x, s.batchMean, scratch, 1));
      scratch.muli(scratch);
      Nd4j.gemm(ones, scratch, s.batchVar.reshape(1, -1), false, false, 1.0 / m, 0.0);
      lap(index, "mean_var");
      // y = γ (x − μ)/σ + β = x·a + (β − μ·a) with a = γ/σ
      s.scale.assign(s.batchVar).addi(eps);
      Transforms.sqrt(s.scale, false).rdivi(1.0).muli(gamma);
      s.shift.assign(beta).subi(s.batchMean.mul(s.scale));
      INDArray y = channelMatrix(s.activated);
      Nd4j.getExecutioner().exec(new BroadcastMulOp(x, s.scale, y, 1));
      y.addiRowVector(s.shift);
    }

    /**
     * Batch-norm backward on the [M, C] matrix view: with a = γ/σ, x̂ = (x − μ)/σ,
     * dβ = Σ dy, dγ = Σ dy·x̂ and dx = a·(dy − dβ/M − x̂·dγ/M).
     */
    private void matrixBatchNormBackward(BlockBuffers s) {
      INDArray x = channelMatrix(s.conv);
      INDArray dy = channelMatrix(s.gradActivated);
      INDArray dx = channelMatrix(s.gradConv);
      INDArray ones = s.ones;
      double m = x.size(0);
      INDArray inverseStd = s.gradVar.assign(s.batchVar).addi(eps);
      Transforms.sqrt(inverseStd, false).rdivi(1.0);
      Nd4j.gemm(ones, dy, dBeta.reshape(1, -1), false, false, 1.0, 0.0);
      // dx used as scratch for (x − μ)·dy before it receives its own value
      Nd4j.getExecutioner().exec(new BroadcastSubOp(x, s.batchMean, dx, 1));
      dx.muli(dy);
      Nd4j.gemm(ones, dx, dGamma.reshape(1, -1), false, false, 1.0, 0.0);
      dGamma.muli(inverseStd);
      // dx = dy·a + x·c + d, c = −a·dγ/(σ M), d = −a·dβ/M − μ·c
      INDArray a = s.scale;
      INDArray c = s.gradMean.assign(a).muli(dGamma).muli(inverseStd).muli(-1.0 / m);
      s.shift.assign(a).muli(dBeta).muli(-1.0 / m).subi(s.batchMean.mul(c));
      Nd4j.getExecutioner().exec(new BroadcastMulOp(x, c, dx, 1));
      dx.addi(Nd4j.getExecutioner().exec(new BroadcastMulOp(dy, a, s.product, 1)));
      dx.addiRowVector(s.shift);
    }

    /** DL4J's "distributed safe" running-statistics update, stored as a gradient to subtract. */
    private void runningStatisticDeltas(BlockBuffers s) {
      dGlobalMean.assign(globalMean).subi(s.batchMean).muli(1 - decay);
      Transforms.pow(s.previousVar.assign(10.0), globalLog10Std, false);
      s.previousVar.muli(s.previousVar);
      s.nextVar.assign(s.previousVar).muli(decay).addi(s.batchVar.mul(1 - decay));
      Transforms.log(dGlobalLog10Std.assign(s.previousVar).divi(s.nextVar), false)
          .muli(ONE_ON_2LOGE_10);
    }
  }
}
