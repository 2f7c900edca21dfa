package io.distilflux.trainer.teacher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.trainer.data.Permutation;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.model.HostArrays;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

class DenseTeacherFitTest {

  @Test
  void fullBatchLogisticRegressionFollowsDl4jFit() {
    MultiLayerNetwork dl4j = new MultiLayerNetwork(
        TeacherArchitectures.logisticRegression(new long[] {3}, 2, 7, 0.01));
    dl4j.init();
    MultiLayerNetwork dense = dl4j.clone();
    Split train = randomSplit(40, 3, 2, 1);
    TeacherTraining settings = new TeacherTraining(30, 0, 0.01);
    DataSet all = new DataSet(train.features(), train.labels());
    for (int i = 0; i < settings.epochs(); i++) {
      dl4j.fit(all);
    }
    DenseTeacherFit.of(dense).orElseThrow().fit(train, 7, settings, quietProgress(30));
    assertSameTraining(dl4j, dense);
  }

  @Test
  void miniBatchReluTeacherFollowsDl4jFit() {
    MultiLayerNetwork dl4j = reluTeacher(new Adam(0.02));
    MultiLayerNetwork dense = dl4j.clone();
    Split train = randomSplit(50, 4, 3, 2);
    TeacherTraining settings = new TeacherTraining(3, 16, 0.02);
    for (int epoch = 0; epoch < settings.epochs(); epoch++) {
      int[] order = Permutation.of(50, 5, epoch);
      for (int from = 0; from < 50; from += 16) {
        int[] rows = Arrays.copyOfRange(order, from, Math.min(50, from + 16));
        dl4j.fit(new DataSet(Nd4j.pullRows(train.features(), 1, rows),
            Nd4j.pullRows(train.labels(), 1, rows)));
      }
    }
    DenseTeacherFit.of(dense).orElseThrow().fit(train, 5, settings, quietProgress(12));
    assertSameTraining(dl4j, dense);
  }

  @Test
  void onlySmallDenseAdamTeachersAreFittedOnJavaArrays() {
    assertTrue(DenseTeacherFit.of(reluTeacher(new Sgd(0.1))).isEmpty(), "SGD teacher");
    MultiLayerNetwork mnist = new MultiLayerNetwork(
        TeacherArchitectures.mnistMlp(new long[] {784}, 10, 1, 1e-3));
    mnist.init();
    assertTrue(DenseTeacherFit.of(mnist).isEmpty(), "the MNIST MLP is left to BLAS");
  }

  @Test
  void progressLinesComeEveryTenthButNotTooOftenAndAtTheEnd() {
    AtomicLong clock = new AtomicLong();
    TeacherProgress progress = new TeacherProgress("teacher", 100, clock::get);
    for (int step = 1; step <= 100; step++) {
      clock.addAndGet(1_000_000); // 1 ms a step: tenths come every 10 ms, too often for a line
      progress.step(step, 0.5);
    }
    assertEquals(0, progress.lines());
    TeacherProgress slow = new TeacherProgress("teacher", 100, clock::get);
    for (int step = 1; step <= 100; step++) {
      clock.addAndGet(100_000_000); // 0.1 s a step: a line at each tenth, every 1 s
      slow.step(step, 0.5);
    }
    slow.finished();
    assertEquals(9 + 1, slow.lines());
  }

  private static void assertSameTraining(MultiLayerNetwork dl4j, MultiLayerNetwork dense) {
    assertClose(dl4j.params(), dense.params());
    assertClose(dl4j.getUpdater().getStateViewArray(), dense.getUpdater().getStateViewArray());
    assertEquals(dl4j.getIterationCount(), dense.getIterationCount());
  }

  private static void assertClose(INDArray expected, INDArray actual) {
    double[] e = HostArrays.read(expected);
    double[] a = HostArrays.read(actual);
    assertEquals(e.length, a.length);
    double scale = 0;
    for (double value : e) {
      scale = Math.max(scale, Math.abs(value));
    }
    for (int i = 0; i < e.length; i++) {
      assertTrue(Math.abs(e[i] - a[i]) <= 1e-4 * scale,
          "entry " + i + ": DL4J " + e[i] + ", dense " + a[i]);
    }
  }

  private static MultiLayerNetwork reluTeacher(org.nd4j.linalg.learning.config.IUpdater updater) {
    MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .seed(3).updater(updater).weightInit(WeightInit.XAVIER).list()
        .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(8).nOut(3)
            .activation(Activation.SOFTMAX).build())
        .build());
    network.init();
    return network;
  }

  private static TeacherProgress quietProgress(long total) {
    return new TeacherProgress("test teacher", total, () -> 0L);
  }

  private static Split randomSplit(int n, int features, int classes, long seed) {
    Nd4j.getRandom().setSeed(seed);
    INDArray x = Nd4j.randn(DataType.FLOAT, n, features);
    INDArray y = Nd4j.zeros(DataType.FLOAT, n, classes);
    for (int i = 0; i < n; i++) {
      y.putScalar(i, Nd4j.getRandom().nextInt(classes), 1.0);
    }
    return new Split(x, y);
  }
}
