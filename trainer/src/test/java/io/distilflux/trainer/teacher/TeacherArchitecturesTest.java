package io.distilflux.trainer.teacher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.distilflux.trainer.data.Split;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TeacherArchitecturesTest {

  @Test
  void unknownNameListsTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TeacherArchitectures.withDefaults().get("resnet"));
    assertEquals("unknown teacher architecture 'resnet', known: [cifar-tiny, logreg, mnist-mlp]",
        e.getMessage());
  }

  @Test
  void mnistMlpHasTheLayerSizesOf784To800To800To10() {
    MultiLayerNetwork network = new MultiLayerNetwork(TeacherArchitectures.withDefaults()
        .get(TeacherArchitectures.MNIST_MLP).build(new long[] {784}, 10, 1, 1e-3));
    network.init();
    assertEquals(784L * 800 + 800 + 800L * 800 + 800 + 800L * 10 + 10, network.numParams());
  }

  @Test
  void cifarTinyTrainsOnMiniBatchesAndGivesLogitsPerImage() {
    Nd4j.getRandom().setSeed(5);
    INDArray images = Nd4j.randn(DataType.FLOAT, 10, 3, 32, 32);
    INDArray labels = Nd4j.zeros(DataType.FLOAT, 10, 10);
    for (int i = 0; i < 10; i++) {
      labels.putScalar(i, i % 10, 1f);
    }
    TeacherTrainer trainer = new TeacherTrainer(TeacherArchitectures.withDefaults());
    // batch 4 over 10 images: two full batches and a partial one per epoch.
    MultiLayerNetwork network = trainer.train(new Split(images, labels), 10,
        TeacherArchitectures.CIFAR_TINY, 1, new TeacherTraining(1, 4, 1e-3));
    INDArray logits = TeacherTrainer.logits(network, images);
    assertArrayEquals(new long[] {10, 10}, logits.shape());
    INDArray softmax = Nd4j.nn().softmax(logits, 1);
    assertEquals(true, softmax.equalsWithEps(network.output(images, false), 1e-4));
  }

  @Test
  void userArchitecturesCanBeRegistered() {
    TeacherArchitectures registry = TeacherArchitectures.withDefaults()
        .register("wide-logreg", TeacherArchitectures::logisticRegression);
    assertEquals(3 * 4 + 4, new MultiLayerNetwork(
        registry.get("wide-logreg").build(new long[] {3}, 4, 0, 0.1)).numParams());
  }
}
