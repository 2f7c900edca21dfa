package io.distilflux.trainer.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
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
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Named registry of student architectures. Every student ends in a dense layer with identity
 * activation, i.e. it outputs logits; the DL4J updater is {@link NoOp} because the distillation
 * code applies its own optimizer to the flat parameter vector.
 *
 * <p>Built in: {@value #LOGREG} (one dense layer, the synthetic experiment), {@value
 * #CIFAR_VERY_TINY} (three unpadded 3×3 conv + batch-norm + ReLU + 2×2 max-pool blocks with 8, 16,
 * 32 channels, then dense 128→64 ReLU and 64→K) and {@value #MNIST_MLP_SMALL} (784→100 ReLU→K).
 * Users add their own with {@link #register}.
 */
public final class StudentArchitectures {

  /** Logistic regression: one dense layer nIn→K. */
  public static final String LOGREG = "logreg";
  /** Small CNN for 3×32×32 images. */
  public static final String CIFAR_VERY_TINY = "cifar-very-tiny";
  /** One hidden layer of 100 ReLU units. */
  public static final String MNIST_MLP_SMALL = "mnist-mlp-small";

  private final Map<String, StudentBuilder> builders = new LinkedHashMap<>();

  private StudentArchitectures() {}

  /** A registry holding the built-in students. */
  public static StudentArchitectures withDefaults() {
    StudentArchitectures registry = new StudentArchitectures();
    registry.register(LOGREG, StudentArchitectures::logisticRegression);
    registry.register(CIFAR_VERY_TINY, StudentArchitectures::cifarVeryTiny);
    registry.register(MNIST_MLP_SMALL, StudentArchitectures::mnistMlpSmall);
    return registry;
  }

  /**
   * Adds (or replaces) an architecture.
   *
   * @throws IllegalArgumentException if the name is blank
   */
  public StudentArchitectures register(String name, StudentBuilder builder) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("student architecture name must not be blank");
    }
    builders.put(name, builder);
    return this;
  }

  /** Registered names, in registration order. */
  public Set<String> names() {
    return java.util.Collections.unmodifiableSet(builders.keySet());
  }

  /**
   * The configuration of the named student.
   *
   * @throws IllegalArgumentException naming the architecture if it is unknown
   */
  public MultiLayerConfiguration configuration(
      String name, long[] featureShape, int classes, long seed, DataType dataType) {
    StudentBuilder builder = builders.get(name);
    if (builder == null) {
      throw new IllegalArgumentException(
          "unknown student architecture '" + name + "'; known: " + builders.keySet());
    }
    if (classes < 2) {
      throw new IllegalArgumentException("classes must be at least 2, got " + classes);
    }
    return builder.build(featureShape, classes, seed, dataType);
  }

  /** The named student as an initialised network (parameters drawn from {@code seed}). */
  public MultiLayerNetwork create(
      String name, long[] featureShape, int classes, long seed, DataType dataType) {
    MultiLayerNetwork network =
        new MultiLayerNetwork(configuration(name, featureShape, classes, seed, dataType));
    network.init();
    return network;
  }

  private static NeuralNetConfiguration.ListBuilder base(long seed, DataType dataType) {
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(dataType)
        .updater(new NoOp())
        .weightInit(WeightInit.RELU)
        .list();
  }

  private static long flatWidth(String architecture, long[] featureShape) {
    if (featureShape.length != 1) {
      throw new IllegalArgumentException(
          architecture + " expects flat features [nIn], got shape " + Arrays.toString(featureShape));
    }
    return featureShape[0];
  }

  private static MultiLayerConfiguration logisticRegression(
      long[] featureShape, int classes, long seed, DataType dataType) {
    long nIn = flatWidth(LOGREG, featureShape);
    return base(seed, dataType)
        .layer(logits(nIn, classes))
        .build();
  }

  private static MultiLayerConfiguration mnistMlpSmall(
      long[] featureShape, int classes, long seed, DataType dataType) {
    long nIn = flatWidth(MNIST_MLP_SMALL, featureShape);
    return base(seed, dataType)
        .layer(new DenseLayer.Builder().nIn(nIn).nOut(100).activation(Activation.RELU).build())
        .layer(logits(100, classes))
        .build();
  }

  private static MultiLayerConfiguration cifarVeryTiny(
      long[] featureShape, int classes, long seed, DataType dataType) {
    if (featureShape.length != 3) {
      throw new IllegalArgumentException(
          CIFAR_VERY_TINY
              + " expects image features [channels, height, width], got shape "
              + Arrays.toString(featureShape));
    }
    NeuralNetConfiguration.ListBuilder list = base(seed, dataType);
    for (int channels : new int[] {8, 16, 32}) {
      convBlock(list, channels);
    }
    return list.layer(new DenseLayer.Builder().nOut(64).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nOut(classes).activation(Activation.IDENTITY)
            .weightInit(WeightInit.XAVIER).build())
        .setInputType(
            InputType.convolutional(featureShape[1], featureShape[2], featureShape[0]))
        .build();
  }

  /**
   * conv 3×3 (no padding) → batch-norm → ReLU → max-pool 2×2. The convolution has no bias:
   * batch-norm's β makes it redundant (its gradient would be exactly zero).
   */
  static void convBlock(NeuralNetConfiguration.ListBuilder list, int channels) {
    list.layer(new ConvolutionLayer.Builder(3, 3)
            .nOut(channels)
            .convolutionMode(ConvolutionMode.Truncate)
            .hasBias(false)
            .activation(Activation.IDENTITY)
            .build())
        .layer(new BatchNormalization.Builder().build())
        .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
            .kernelSize(2, 2)
            .stride(2, 2)
            .build());
  }

  /** The final layer: dense with identity activation, so the network outputs logits. */
  static DenseLayer logits(long nIn, int classes) {
    return new DenseLayer.Builder()
        .nIn(nIn)
        .nOut(classes)
        .activation(Activation.IDENTITY)
        .weightInit(WeightInit.XAVIER)
        .build();
  }
}
