package io.distilflux.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.trainer.byo.UserFiles;
import io.distilflux.trainer.distill.DistillationTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;

class StudentFileTest {

  private static final long[] IMAGE = {3, 32, 32};

  @Test
  void eachStudentFileGetsThePathItsLayersAllowAndSaysWhy(@TempDir Path dir) throws IOException {
    Path dense = Files.writeString(dir.resolve("dense.json"), UserFiles.denseStudentJson());
    assertEquals("dense-engine", trainer(dense, new long[] {UserFiles.FEATURES}, 3)
        .computationPath());

    Path veryTiny = Files.writeString(dir.resolve("very-tiny.yaml"),
        StudentArchitectures.withDefaults().configuration(StudentArchitectures.CIFAR_VERY_TINY,
            IMAGE, 10, 1, DataType.FLOAT).toYaml());
    DistillationTrainer conv = trainer(veryTiny, IMAGE, 10);
    assertEquals("native-ops", conv.computationPath());
    assertTrue(conv.computationReason().contains("native ops"), conv.computationReason());

    MultiLayerConfiguration padded = new NeuralNetConfiguration.Builder().list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).padding(1, 1)
            .activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nOut(10).activation(Activation.IDENTITY).build())
        .setInputType(InputType.convolutional(32, 32, 3)).build();
    Path other = Files.writeString(dir.resolve("padded.json"), padded.toJson());
    DistillationTrainer fallback = trainer(other, IMAGE, 10);
    assertEquals("dl4j-layers", fallback.computationPath());
    assertTrue(fallback.computationReason().startsWith(
        "DL4J's layers and a central-difference tangent, since "), fallback.computationReason());
  }

  @Test
  void aStudentFileMustEndInKLogits(@TempDir Path dir) throws IOException {
    Path dense = Files.writeString(dir.resolve("dense.json"), UserFiles.denseStudentJson());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new StudentFile(dense).build(new long[] {4}, 5, 1, DataType.FLOAT));
    assertEquals("student " + dense + ": the last layer has nOut 3, the data have 5 classes",
        e.getMessage());
    Path softmax = Files.writeString(dir.resolve("softmax.json"), new NeuralNetConfiguration
        .Builder().list().layer(new DenseLayer.Builder().nIn(4).nOut(3)
            .activation(Activation.SOFTMAX).build()).build().toJson());
    e = assertThrows(IllegalArgumentException.class,
        () -> new StudentFile(softmax).build(new long[] {4}, 3, 1, DataType.FLOAT));
    assertTrue(e.getMessage().contains("must be a DenseLayer with identity activation"),
        e.getMessage());
    Path broken = Files.writeString(dir.resolve("broken.json"), "{\"confs\": 7}");
    e = assertThrows(IllegalArgumentException.class,
        () -> new StudentFile(broken).build(new long[] {4}, 3, 1, DataType.FLOAT));
    assertTrue(e.getMessage().startsWith("student " + broken + " is not a DL4J"
        + " MultiLayerConfiguration in JSON"), e.getMessage());
    assertEquals(1, e.getMessage().lines().count());
  }

  @Test
  void theRunsSeedDecidesTheInitialWeights(@TempDir Path dir) throws IOException {
    Path dense = Files.writeString(dir.resolve("dense.json"), UserFiles.denseStudentJson());
    assertEquals(network(dense, 5).params(), network(dense, 5).params());
    assertTrue(!network(dense, 5).params().equals(network(dense, 6).params()));
  }

  private static MultiLayerNetwork network(Path file, long seed) {
    MultiLayerNetwork network = new MultiLayerNetwork(new StudentFile(file)
        .build(new long[] {UserFiles.FEATURES}, UserFiles.CLASSES, seed, DataType.FLOAT));
    network.init();
    return network;
  }

  private static DistillationTrainer trainer(Path file, long[] shape, int classes) {
    MultiLayerNetwork network = new MultiLayerNetwork(new StudentFile(file)
        .build(shape, classes, 1, DataType.FLOAT));
    network.init();
    return new DistillationTrainer(network, OptimizerKind.ADAM, 1e-3, false);
  }
}
