package io.distilflux.trainer.speed;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The "cifar-very-tiny" student as a DL4J network, used as the reference for step-speed work:
 * three blocks conv3x3 (no padding, no bias) + BatchNorm + ReLU + maxpool2 with 8, 16, 32 channels
 * (32 -> 30 -> 15 -> 13 -> 6 -> 4 -> 2), then dense 128 -> 64 ReLU and dense 64 -> 10 identity (logits).
 *
 * <p>The network expects its input in {@link StepSettings#format()}: NCHW [B, 3, 32, 32] or NHWC
 * [B, 32, 32, 3]; {@link Dl4jPlainStep} takes NCHW and permutes when needed.
 */
public final class VeryTinyCifarNetwork {

  /** Number of classes (width of the logits). */
  public static final int CLASSES = 10;
  /** Channels of the three conv blocks. */
  static final int[] CHANNELS = {8, 16, 32};
  /** Input side length. */
  public static final int SIDE = 32;

  private VeryTinyCifarNetwork() {}

  /** Builds and initialises the network with the given speed settings and weight seed. */
  public static MultiLayerNetwork build(StepSettings settings, long seed) {
    var b = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .weightInit(WeightInit.RELU)
        .convolutionMode(ConvolutionMode.Truncate)
        .trainingWorkspaceMode(settings.workspaceMode())
        .inferenceWorkspaceMode(settings.workspaceMode())
        .cacheMode(settings.cacheMode())
        .list();
    int in = 3;
    for (int out : CHANNELS) {
      // no conv bias, as the real student (model.StudentArchitectures): batch-norm's β absorbs it
      b.layer(new ConvolutionLayer.Builder(3, 3).stride(1, 1).nIn(in).nOut(out).hasBias(false)
          .dataFormat(settings.format()).activation(Activation.IDENTITY).build());
      b.layer(new BatchNormalization.Builder().nOut(out).dataFormat(settings.format()).build());
      b.layer(new ActivationLayer.Builder().activation(Activation.RELU).build());
      b.layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
          .kernelSize(2, 2).stride(2, 2).dataFormat(settings.format()).build());
      in = out;
    }
    b.layer(new DenseLayer.Builder().nOut(64).activation(Activation.RELU).build());
    b.layer(new DenseLayer.Builder().nOut(CLASSES).activation(Activation.IDENTITY).build());
    b.setInputType(InputType.convolutional(SIDE, SIDE, 3, settings.format()));
    MultiLayerConfiguration conf = b.build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }
}
