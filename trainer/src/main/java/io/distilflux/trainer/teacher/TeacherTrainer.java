package io.distilflux.trainer.teacher;

import io.distilflux.trainer.data.Permutation;
import io.distilflux.trainer.data.Split;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Trains a teacher and reads its logits: small dense teachers (the synthetic logistic
 * regression) through {@link DenseTeacherFit}, the same arithmetic on Java arrays, the others with
 * DL4J's {@code MultiLayerNetwork.fit}; a progress line is logged while either trains.
 */
public final class TeacherTrainer {

  private static final int INFERENCE_CHUNK = 1024;

  private final TeacherArchitectures architectures;

  /** @param architectures where architecture names are looked up */
  public TeacherTrainer(TeacherArchitectures architectures) {
    this.architectures = architectures;
  }

  /**
   * Trains a fresh teacher on {@code train}, logging its progress. Mini-batch order comes from
   * {@link Permutation#of}(n, seed, epoch), so training is reproducible for a seed.
   */
  public MultiLayerNetwork train(
      Split train, int classes, String architecture, long seed, TeacherTraining settings) {
    long[] shape = train.features().shape();
    long[] exampleShape = Arrays.copyOfRange(shape, 1, shape.length);
    MultiLayerNetwork network =
        new MultiLayerNetwork(
            architectures.get(architecture)
                .build(exampleShape, classes, seed, settings.learningRate()));
    network.init();
    int n = train.size();
    boolean fullBatch = settings.fullBatch() || settings.batchSize() >= n;
    long total = fullBatch ? settings.epochs()
        : (long) settings.epochs() * ((n + settings.batchSize() - 1) / settings.batchSize());
    TeacherProgress progress =
        new TeacherProgress("teacher " + architecture + ", seed " + seed, total, System::nanoTime);
    Optional<DenseTeacherFit> dense = DenseTeacherFit.of(network);
    if (dense.isPresent()) {
      dense.get().fit(train, seed, settings, progress);
      progress.finished();
      return network;
    }
    long done = 0;
    if (fullBatch) {
      DataSet all = new DataSet(train.features(), train.labels());
      for (int step = 0; step < settings.epochs(); step++) {
        network.fit(all);
        progress.step(++done, network.score());
      }
      progress.finished();
      return network;
    }
    INDArray flatFeatures = train.features().reshape('c', n, train.features().length() / n);
    for (int epoch = 0; epoch < settings.epochs(); epoch++) {
      int[] order = Permutation.of(n, seed, epoch);
      for (int from = 0; from < n; from += settings.batchSize()) {
        int[] rows = Arrays.copyOfRange(order, from, Math.min(n, from + settings.batchSize()));
        long[] batchShape = shape.clone();
        batchShape[0] = rows.length;
        INDArray x = Nd4j.pullRows(flatFeatures, 1, rows).reshape('c', batchShape);
        INDArray y = Nd4j.pullRows(train.labels(), 1, rows);
        network.fit(new DataSet(x, y));
        progress.step(++done, network.score());
      }
    }
    progress.finished();
    return network;
  }

  /**
   * The teacher's logits f(x) [n, K]: the pre-activation of the output layer (W·a + b),
   * computed in inference mode. These are the true logits; log(softmax) would differ from them
   * only by a per-example shift, to which softmax(f/T) is invariant.
   */
  public static INDArray logits(MultiLayerNetwork network, INDArray inputs) {
    int outputIndex = network.getnLayers() - 1;
    Layer output = network.getLayer(outputIndex);
    INDArray weights = output.getParam("W");
    INDArray bias = output.getParam("b");
    long n = inputs.size(0);
    INDArray logits = Nd4j.create(weights.dataType(), n, weights.size(1));
    for (long from = 0; from < n; from += INFERENCE_CHUNK) {
      long to = Math.min(n, from + INFERENCE_CHUNK);
      INDArray chunk = inputs.get(indexRows(inputs.rank(), from, to));
      INDArray hidden;
      if (outputIndex == 0) {
        hidden = chunk.reshape('c', to - from, chunk.length() / (to - from));
      } else {
        List<INDArray> activations = network.feedForwardToLayer(outputIndex - 1, chunk, false);
        hidden = activations.get(activations.size() - 1);
      }
      if (hidden.rank() != 2 || hidden.size(1) != weights.size(0)) {
        throw new IllegalArgumentException(
            "teacher output layer input has shape " + Arrays.toString(hidden.shape())
                + ", expected [n, " + weights.size(0) + "]: the last layer must be a dense"
                + " OutputLayer after a dense layer");
      }
      logits.get(NDArrayIndex.interval(from, to), NDArrayIndex.all())
          .assign(hidden.mmul(weights).addiRowVector(bias));
    }
    return logits;
  }

  /** Fraction of {@code split} whose arg-max prediction matches the label. */
  public static double accuracy(MultiLayerNetwork network, Split split) {
    INDArray predicted = logits(network, split.features()).argMax(1);
    INDArray actual = split.labels().argMax(1);
    long correct = predicted.eq(actual).castTo(org.nd4j.linalg.api.buffer.DataType.INT64)
        .sumNumber().longValue();
    return (double) correct / split.size();
  }

  private static org.nd4j.linalg.indexing.INDArrayIndex[] indexRows(int rank, long from, long to) {
    org.nd4j.linalg.indexing.INDArrayIndex[] index =
        new org.nd4j.linalg.indexing.INDArrayIndex[rank];
    index[0] = NDArrayIndex.interval(from, to);
    for (int d = 1; d < rank; d++) {
      index[d] = NDArrayIndex.all();
    }
    return index;
  }
}
