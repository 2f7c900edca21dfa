package io.distilflux.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class StudentArchitecturesTest {

  private final StudentArchitectures registry = StudentArchitectures.withDefaults();

  @Test
  void builtInStudentsOutputLogitsOfTheRightShape() {
    assertLogits(StudentArchitectures.LOGREG, new long[] {3}, 2);
    assertLogits(StudentArchitectures.MNIST_MLP_SMALL, new long[] {784}, 10);
    assertLogits(StudentArchitectures.CIFAR_VERY_TINY, new long[] {3, 32, 32}, 10);
  }

  @Test
  void cifarVeryTinyHasTheDocumentedLayerSizes() {
    MultiLayerNetwork student = registry.create(
        StudentArchitectures.CIFAR_VERY_TINY, new long[] {3, 32, 32}, 10, 1, DataType.FLOAT);
    // conv weights without bias; batch-norm γ, β, running mean, running variance per channel
    long convAndNorm = 0;
    int in = 3;
    for (int out : new int[] {8, 16, 32}) {
      convAndNorm += 9L * in * out + 4L * out;
      in = out;
    }
    long dense = (128 * 64 + 64) + (64 * 10 + 10);
    assertEquals(convAndNorm + dense, student.numParams());
  }

  @Test
  void buildersHonourTheRequestedDataTypeAndSeed() {
    MultiLayerNetwork a = registry.create(
        StudentArchitectures.MNIST_MLP_SMALL, new long[] {784}, 10, 7, DataType.DOUBLE);
    MultiLayerNetwork b = registry.create(
        StudentArchitectures.MNIST_MLP_SMALL, new long[] {784}, 10, 7, DataType.DOUBLE);
    MultiLayerNetwork c = registry.create(
        StudentArchitectures.MNIST_MLP_SMALL, new long[] {784}, 10, 8, DataType.DOUBLE);
    assertEquals(DataType.DOUBLE, a.params().dataType());
    assertEquals(a.params(), b.params());
    assertTrue(!a.params().equals(c.params()));
  }

  @Test
  void usersCanRegisterTheirOwnStudent() {
    registry.register("wide-logreg", (shape, classes, seed, type) ->
        new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(seed).dataType(type)
            .list()
            .layer(new DenseLayer.Builder().nIn(shape[0]).nOut(classes)
                .activation(Activation.IDENTITY).build())
            .build());
    assertTrue(registry.names().contains("wide-logreg"));
    assertLogits("wide-logreg", new long[] {5}, 4);
  }

  @Test
  void unknownNameIsRejectedWithTheKnownNames() {
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
        () -> registry.configuration("resnet", new long[] {3}, 2, 1, DataType.FLOAT));
    assertTrue(error.getMessage().contains("'resnet'") && error.getMessage().contains("logreg"),
        error.getMessage());
  }

  @Test
  void imageStudentRejectsFlatFeatures() {
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
        () -> registry.configuration(
            StudentArchitectures.CIFAR_VERY_TINY, new long[] {3072}, 10, 1, DataType.FLOAT));
    assertTrue(error.getMessage().startsWith(StudentArchitectures.CIFAR_VERY_TINY),
        error.getMessage());
  }

  private void assertLogits(String name, long[] featureShape, int classes) {
    MultiLayerNetwork student = registry.create(name, featureShape, classes, 3, DataType.FLOAT);
    long[] inputShape = new long[featureShape.length + 1];
    inputShape[0] = 4;
    System.arraycopy(featureShape, 0, inputShape, 1, featureShape.length);
    var logits = student.output(Nd4j.rand(DataType.FLOAT, inputShape), false);
    assertArrayEquals(new long[] {4, classes}, logits.shape(), name);
    var last = (org.deeplearning4j.nn.conf.layers.BaseLayer)
        student.getLayer(student.getnLayers() - 1).conf().getLayer();
    assertTrue(last.getActivationFn() instanceof ActivationIdentity, name + " ends in logits");
  }
}
