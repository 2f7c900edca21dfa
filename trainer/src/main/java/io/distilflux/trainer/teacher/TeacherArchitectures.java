package io.distilflux.trainer.teacher;

import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Named teacher architectures. Built in: {@value #LOGREG} (logistic regression: one dense
 * layer nIn→K with softmax, for the synthetic experiment), {@value #CIFAR_TINY} (the reference's
 * Cifar_Tiny: three conv3×3 blocks 3→16→32→64 with batch norm, ReLU and 2×2 max-pooling, no
 * padding, then dense 256→128 ReLU and 128→K) and {@value #MNIST_MLP} (784→800→800→K ReLU).
 * Users add their own with {@link #register}.
 */
public final class TeacherArchitectures {

  /** Logistic regression. */
  public static final String LOGREG = "logreg";
  /** The reference CIFAR-10 teacher. */
  public static final String CIFAR_TINY = "cifar-tiny";
  /** A two-hidden-layer MLP for MNIST. */
  public static final String MNIST_MLP = "mnist-mlp";

  private final Map<String, TeacherArchitecture> byName = new TreeMap<>();

  /** A registry holding the built-in architectures. */
  public static TeacherArchitectures withDefaults() {
    TeacherArchitectures registry = new TeacherArchitectures();
    registry.register(LOGREG, TeacherArchitectures::logisticRegression);
    registry.register(CIFAR_TINY, TeacherArchitectures::cifarTiny);
    registry.register(MNIST_MLP, TeacherArchitectures::mnistMlp);
    return registry;
  }

  /** Adds or replaces an architecture under a name. */
  public TeacherArchitectures register(String name, TeacherArchitecture architecture) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("teacher architecture name must not be blank");
    }
    byName.put(name, architecture);
    return this;
  }

  /** Registered names, sorted. */
  public java.util.Set<String> names() {
    return java.util.Collections.unmodifiableSet(byName.keySet());
  }

  /**
   * The architecture of that name.
   *
   * @throws IllegalArgumentException naming the unknown architecture and the known ones
   */
  public TeacherArchitecture get(String name) {
    TeacherArchitecture architecture = byName.get(name);
    if (architecture == null) {
      throw new IllegalArgumentException(
          "unknown teacher architecture '" + name + "', known: " + byName.keySet());
    }
    return architecture;
  }

  private static NeuralNetConfiguration.Builder base(long seed, double learningRate) {
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .updater(new Adam(learningRate))
        .weightInit(WeightInit.XAVIER);
  }

  private static long flat(long[] exampleShape) {
    long n = 1;
    for (long d : exampleShape) {
      n *= d;
    }
    return n;
  }

  static MultiLayerConfiguration logisticRegression(
      long[] exampleShape, int classes, long seed, double learningRate) {
    return base(seed, learningRate)
        .list()
        .layer(new OutputLayer.Builder(LossFunction.MCXENT)
            .nIn(flat(exampleShape)).nOut(classes).activation(Activation.SOFTMAX).build())
        .build();
  }

  static MultiLayerConfiguration mnistMlp(
      long[] exampleShape, int classes, long seed, double learningRate) {
    return base(seed, learningRate)
        .list()
        .layer(new DenseLayer.Builder().nIn(flat(exampleShape)).nOut(800)
            .activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nOut(800).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT)
            .nOut(classes).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.feedForward(flat(exampleShape)))
        .build();
  }

  static MultiLayerConfiguration cifarTiny(
      long[] exampleShape, int classes, long seed, double learningRate) {
    if (exampleShape.length != 3) {
      throw new IllegalArgumentException(
          CIFAR_TINY + " needs image input [channels, height, width], got "
              + java.util.Arrays.toString(exampleShape));
    }
    NeuralNetConfiguration.ListBuilder layers = base(seed, learningRate).list();
    int[] channels = {16, 32, 64};
    for (int c : channels) {
      layers
          .layer(new ConvolutionLayer.Builder(3, 3).nOut(c).stride(1, 1)
              .activation(Activation.IDENTITY).build())
          .layer(new BatchNormalization.Builder().activation(Activation.RELU).build())
          .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
              .kernelSize(2, 2).stride(2, 2).build());
    }
    return layers
        .layer(new DenseLayer.Builder().nOut(128).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT)
            .nOut(classes).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(exampleShape[1], exampleShape[2], exampleShape[0]))
        .build();
  }
}
