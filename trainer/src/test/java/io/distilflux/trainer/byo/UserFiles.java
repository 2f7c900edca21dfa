package io.distilflux.trainer.byo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small files of the kinds a user brings, written by the tests. */
public final class UserFiles {

  /** Features per example. */
  public static final int FEATURES = 4;
  /** Classes. */
  public static final int CLASSES = 3;

  private UserFiles() {}

  /**
   * A CSV file of {@code rows} examples of three Gaussian blobs in four dimensions (centres
   * 1.5 apart, unit spread, so the classes overlap a little), the label column third.
   */
  public static Path blobsCsv(Path file, int rows, long seed) throws IOException {
    Random random = new Random(seed);
    StringBuilder text = new StringBuilder("x0,x1,label,x2,x3\n");
    for (int i = 0; i < rows; i++) {
      int label = i % CLASSES;
      double[] x = new double[FEATURES];
      for (int d = 0; d < FEATURES; d++) {
        x[d] = (d % CLASSES == label ? 1.5 : 0) + random.nextGaussian();
      }
      text.append(String.format(Locale.ROOT, "%.5f,%.5f,%d,%.5f,%.5f%n", x[0], x[1], label, x[2],
          x[3]));
    }
    return Files.writeString(file, text);
  }

  /** A dense teacher 4 → 16 ReLU → softmax output of 3, trained here on {@code data}. */
  public static MultiLayerNetwork trainedTeacher(DataSet data, long seed) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(seed).dataType(DataType.FLOAT).updater(new Adam(0.02)).weightInit(WeightInit.XAVIER)
        .list()
        .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(16).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(CLASSES)
            .activation(Activation.SOFTMAX).build())
        .build();
    MultiLayerNetwork network = new MultiLayerNetwork(conf);
    network.init();
    for (int epoch = 0; epoch < 200; epoch++) {
      network.fit(data);
    }
    return network;
  }

  /** A student configuration 4 → 8 ReLU → 3 logits, as DL4J's JSON. */
  public static String denseStudentJson() {
    return new NeuralNetConfiguration.Builder()
        .seed(1).dataType(DataType.FLOAT).updater(new NoOp()).weightInit(WeightInit.RELU)
        .list()
        .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(8).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nIn(8).nOut(CLASSES).activation(Activation.IDENTITY)
            .build())
        .build().toJson();
  }

  /** Writes a .npy file. */
  public static Path npy(Path file, org.nd4j.linalg.api.ndarray.INDArray array) throws IOException {
    Nd4j.writeAsNumpy(array, file.toFile());
    return file;
  }
}
