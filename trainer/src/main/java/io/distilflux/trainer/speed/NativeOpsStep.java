package io.distilflux.trainer.speed;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The plain step of the cifar-very-tiny student computed directly with libnd4j ops ({@code conv2d},
 * {@code conv2d_bp}, {@code batchnorm}, {@code batchnorm_bp}, {@code maxpool2d}, {@code
 * maxpool2d_bp}, gemm) instead of DL4J's layer code, on the parameters of an existing DL4J network.
 *
 * <p>It reads the network's parameter views and writes the same flat gradient layout that {@code
 * MultiLayerNetwork.backpropGradient} produces (including DL4J's BatchNorm running-statistics
 * "gradients"), so it is a drop-in for the step while {@code net.params()} remains the single
 * source of truth. The network must be NCHW, built by {@link VeryTinyCifarNetwork}.
 */
public final class NativeOpsStep implements PlainStep {

  private static final int NCHW = 0;
  /** libnd4j weight layout 1 = [oC, iC, kH, kW], DL4J's own conv weight layout. */
  private static final int WEIGHTS_OIHW = 1;
  private static final int[] NON_CHANNEL_DIMS = {0, 2, 3};
  private static final double ONE_ON_2LOGE_10 = 1.0 / (2.0 * Math.log(10.0));

  private final List<ConvBlock> blocks = new ArrayList<>();
  private final DenseParams hidden;
  private final DenseParams output;
  private final INDArray flatGradient;

  /** Binds to the parameters of an NCHW {@link VeryTinyCifarNetwork}; gradients go to a fresh flat array. */
  public NativeOpsStep(MultiLayerNetwork net) {
    Layer[] layers = net.getLayers();
    if (layers.length != 14) {
      throw new IllegalArgumentException("network: expected the 14-layer cifar-very-tiny student, got "
          + layers.length + " layers");
    }
    flatGradient = Nd4j.zeros(DataType.FLOAT, 1, net.numParams());
    long offset = 0;
    for (int b = 0; b < 3; b++) {
      Layer conv = layers[4 * b];
      Layer bn = layers[4 * b + 1];
      if (!(conv.conf().getLayer() instanceof ConvolutionLayer cl) || cl.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
        throw new IllegalArgumentException("network: layer " + 4 * b + " must be an NCHW ConvolutionLayer");
      }
      if (!(bn.conf().getLayer() instanceof BatchNormalization bnConf) || !bnConf.isUseLogStd()
          || bnConf.isLockGammaBeta()) {
        throw new IllegalArgumentException("network: layer " + (4 * b + 1)
            + " must be a BatchNormalization with log10-std running variance and learned gamma/beta");
      }
      Map<String, INDArray> convGrads = gradientViews(conv, offset);
      offset += conv.numParams();
      Map<String, INDArray> bnGrads = gradientViews(bn, offset);
      offset += bn.numParams();
      blocks.add(new ConvBlock(conv.getParam(ConvolutionParamInitializer.WEIGHT_KEY),
          conv.getParam(ConvolutionParamInitializer.BIAS_KEY).reshape(-1),
          convGrads.get(ConvolutionParamInitializer.WEIGHT_KEY),
          convGrads.get(ConvolutionParamInitializer.BIAS_KEY).reshape(-1),
          bn.getParam(BatchNormalizationParamInitializer.GAMMA).reshape(-1),
          bn.getParam(BatchNormalizationParamInitializer.BETA).reshape(-1),
          bn.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(-1),
          bn.getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).reshape(-1),
          bnGrads.get(BatchNormalizationParamInitializer.GAMMA).reshape(-1),
          bnGrads.get(BatchNormalizationParamInitializer.BETA).reshape(-1),
          bnGrads.get(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(-1),
          bnGrads.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).reshape(-1),
          bnConf.getEps(), bnConf.getDecay()));
    }
    Layer d1 = layers[12];
    Map<String, INDArray> d1Grads = gradientViews(d1, offset);
    offset += d1.numParams();
    hidden = dense(d1, d1Grads);
    Layer d2 = layers[13];
    output = dense(d2, gradientViews(d2, offset));
  }

  private Map<String, INDArray> gradientViews(Layer layer, long offset) {
    INDArray view = flatGradient.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
        org.nd4j.linalg.indexing.NDArrayIndex.interval(offset, offset + layer.numParams())).reshape(1, -1);
    return layer.conf().getLayer().initializer().getGradientsFromFlattened(layer.conf(), view);
  }

  private static DenseParams dense(Layer layer, Map<String, INDArray> grads) {
    return new DenseParams(layer.getParam(DefaultParamInitializer.WEIGHT_KEY),
        layer.getParam(DefaultParamInitializer.BIAS_KEY),
        grads.get(DefaultParamInitializer.WEIGHT_KEY), grads.get(DefaultParamInitializer.BIAS_KEY));
  }

  /** The flat gradient array every {@link #step} writes into (same layout as {@code net.params()}). */
  public INDArray gradient() {
    return flatGradient;
  }

  @Override
  public INDArray logits(INDArray inputNchw) {
    return forward(inputNchw).logits;
  }

  @Override
  public INDArray step(INDArray inputNchw, INDArray epsilon) {
    Forward f = forward(inputNchw);
    // dense 64 -> 10 (identity)
    Nd4j.gemm(f.hidden, epsilon, output.dW, true, false, 1.0, 0.0);
    epsilon.sum(output.db, 0);
    INDArray dHidden = Nd4j.gemm(epsilon, output.w, false, true);
    Nd4j.exec(DynamicCustomOp.builder("relu_bp").addInputs(f.hidden, dHidden).addOutputs(dHidden)
        .addFloatingPointArguments(0.0).build());
    // dense 128 -> 64 (ReLU)
    Nd4j.gemm(f.flat, dHidden, hidden.dW, true, false, 1.0, 0.0);
    dHidden.sum(hidden.db, 0);
    INDArray grad = Nd4j.gemm(dHidden, hidden.w, false, true).reshape(f.pooled[2].shape());
    for (int b = 2; b >= 0; b--) {
      grad = blocks.get(b).backward(f.block[b], grad);
    }
    return flatGradient;
  }

  private Forward forward(INDArray x) {
    BlockState[] states = new BlockState[3];
    INDArray[] pooled = new INDArray[3];
    INDArray in = x;
    for (int b = 0; b < 3; b++) {
      states[b] = blocks.get(b).forward(in);
      pooled[b] = states[b].pooled;
      in = pooled[b];
    }
    INDArray flat = in.reshape('c', in.size(0), -1);
    INDArray h = flat.mmul(hidden.w).addiRowVector(hidden.b);
    Transforms.relu(h, false);
    INDArray logits = h.mmul(output.w).addiRowVector(output.b);
    return new Forward(states, pooled, flat, h, logits);
  }

  private record Forward(BlockState[] block, INDArray[] pooled, INDArray flat, INDArray hidden, INDArray logits) {}

  private record BlockState(INDArray input, INDArray conv, INDArray batchMean, INDArray batchVar,
      INDArray activated, INDArray pooled) {}

  private record DenseParams(INDArray w, INDArray b, INDArray dW, INDArray db) {}

  private record ConvBlock(INDArray w, INDArray b, INDArray dW, INDArray db,
      INDArray gamma, INDArray beta, INDArray globalMean, INDArray globalLog10Std,
      INDArray dGamma, INDArray dBeta, INDArray dGlobalMean, INDArray dGlobalLog10Std,
      double eps, double decay) {

    BlockState forward(INDArray in) {
      long n = in.size(0);
      long side = in.size(2) - 2;
      INDArray conv = Nd4j.createUninitialized(DataType.FLOAT, n, w.size(0), side, side);
      Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(in, w, b).addOutputs(conv)
          .addIntegerArguments(3, 3, 1, 1, 0, 0, 1, 1, 0, NCHW, WEIGHTS_OIHW).build());
      INDArray mean = conv.mean(NON_CHANNEL_DIMS);
      INDArray var = conv.var(false, NON_CHANNEL_DIMS);
      INDArray normed = Nd4j.createUninitialized(DataType.FLOAT, conv.shape());
      Nd4j.exec(DynamicCustomOp.builder("batchnorm").addInputs(conv, mean, var, gamma, beta)
          .addOutputs(normed).addIntegerArguments(1, 1, 1).addFloatingPointArguments(eps).build());
      Transforms.relu(normed, false);
      long half = side / 2;
      INDArray pooled = Nd4j.createUninitialized(DataType.FLOAT, n, w.size(0), half, half);
      Nd4j.exec(DynamicCustomOp.builder("maxpool2d").addInputs(normed).addOutputs(pooled)
          .addIntegerArguments(2, 2, 2, 2, 0, 0, 1, 1, 0, 0, NCHW).build());
      return new BlockState(in, conv, mean, var, normed, pooled);
    }

    INDArray backward(BlockState s, INDArray gradPooled) {
      INDArray gradAct = Nd4j.createUninitialized(DataType.FLOAT, s.activated.shape());
      Nd4j.exec(DynamicCustomOp.builder("maxpool2d_bp").addInputs(s.activated, gradPooled)
          .addOutputs(gradAct).addIntegerArguments(2, 2, 2, 2, 0, 0, 1, 1, 0, 0, NCHW).build());
      // ReLU backward: the stored activation is post-ReLU, positive exactly where the BN output was.
      Nd4j.exec(DynamicCustomOp.builder("relu_bp").addInputs(s.activated, gradAct).addOutputs(gradAct)
          .addFloatingPointArguments(0.0).build());
      INDArray gradConv = Nd4j.createUninitialized(DataType.FLOAT, s.conv.shape());
      INDArray gradMean = Nd4j.createUninitialized(DataType.FLOAT, s.batchMean.shape());
      INDArray gradVar = Nd4j.createUninitialized(DataType.FLOAT, s.batchVar.shape());
      Nd4j.exec(DynamicCustomOp.builder("batchnorm_bp")
          .addInputs(s.conv, s.batchMean, s.batchVar, gamma, beta, gradAct)
          .addOutputs(gradConv, gradMean, gradVar, dGamma, dBeta)
          .addIntegerArguments(1, 1, 1).addFloatingPointArguments(eps).build());
      runningStatisticDeltas(s.batchMean, s.batchVar);
      INDArray gradIn = Nd4j.createUninitialized(DataType.FLOAT, s.input.shape());
      Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(s.input, w, b, gradConv)
          .addOutputs(gradIn, dW, db)
          .addIntegerArguments(3, 3, 1, 1, 0, 0, 1, 1, 0, NCHW, WEIGHTS_OIHW).build());
      return gradIn;
    }

    /** DL4J's "distributed safe" running-statistics update, stored as a gradient to subtract. */
    private void runningStatisticDeltas(INDArray batchMean, INDArray batchVar) {
      dGlobalMean.assign(globalMean.sub(batchMean).muli(1 - decay));
      INDArray previousVar = Transforms.pow(Nd4j.valueArrayOf(globalLog10Std.shape(), 10.0, DataType.FLOAT),
          globalLog10Std, false);
      previousVar.muli(previousVar);
      INDArray nextVar = previousVar.mul(decay).addi(batchVar.mul(1 - decay));
      dGlobalLog10Std.assign(Transforms.log(previousVar.divi(nextVar), false).muli(ONE_ON_2LOGE_10));
    }
  }
}
