package io.distilflux.trainer.teacher;

import io.distilflux.trainer.data.Permutation;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.distill.Softmax;
import io.distilflux.trainer.model.DenseStack;
import io.distilflux.trainer.model.HostArrays;
import java.util.Optional;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * What {@code MultiLayerNetwork.fit} does to a small dense teacher ({@link DenseStack#ofTeacher}
 * with DL4J's Adam on every layer), on Java arrays: softmax cross-entropy averaged over the
 * batch, then DL4J's Adam, m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g², w ← w − α_t m / (√v + ε)
 * with α_t = γ √(1−β2^t) / (1−β1^t). A DL4J step of the 3×2 synthetic teacher costs about 10 ms of
 * per-op overhead; this one costs microseconds. Values DL4J keeps in the network's arrays are
 * rounded to its precision. At the end the parameters, Adam's state and the iteration count are
 * written back to the network, so it is saved and used exactly like one DL4J trained.
 */
final class DenseTeacherFit {

  /** Largest teacher (weights per example) fitted here; bigger ones gain nothing over BLAS. */
  static final long MAX_WEIGHTS = 2048;

  private final MultiLayerNetwork network;
  private final DenseStack stack;
  private final Adam adam;
  private final boolean single;

  private DenseTeacherFit(MultiLayerNetwork network, DenseStack stack, Adam adam) {
    this.network = network;
    this.stack = stack;
    this.adam = adam;
    this.single = network.params().dataType() != DataType.DOUBLE;
  }

  /** The fit of an initialised teacher this class supports, or empty. */
  static Optional<DenseTeacherFit> of(MultiLayerNetwork network) {
    DataType type = network.params().dataType();
    if (type != DataType.FLOAT && type != DataType.DOUBLE
        || !network.getLayerWiseConfigurations().getConf(0).isMiniBatch()
        || network.getUpdater().getStateViewArray() == null) {
      return Optional.empty();
    }
    Adam shared = null;
    for (Layer layer : network.getLayers()) {
      IUpdater updater = layer.conf().getLayer() instanceof BaseLayer base
          ? base.getIUpdater() : null;
      if (!(updater instanceof Adam adam) || adam.getLearningRateSchedule() != null
          || shared != null && !shared.equals(adam)) {
        return Optional.empty();
      }
      shared = adam;
    }
    Adam adam = shared;
    return DenseStack.ofTeacher(network)
        .filter(stack -> stack.multiplyAddsPerExample() <= MAX_WEIGHTS)
        // one updater block over all parameters: its state view is [m, v]
        .filter(stack -> network.getUpdater().getStateViewArray().length()
            == 2L * stack.parameterCount())
        .map(stack -> new DenseTeacherFit(network, stack, adam));
  }

  /**
   * Trains as {@link TeacherTrainer#train} does with DL4J: full batch ({@code epochs} steps) or
   * mini-batches in the order of {@link Permutation#of}(n, seed, epoch).
   */
  void fit(Split train, long seed, TeacherTraining settings, TeacherProgress progress) {
    int n = train.size();
    int width = stack.inputWidth();
    int classes = stack.outputWidth();
    if (train.features().length() != (long) n * width || train.labels().size(1) != classes) {
      throw new IllegalArgumentException("teacher data of shape "
          + java.util.Arrays.toString(train.features().shape()) + " do not fit a " + width
          + "-input, " + classes + "-class teacher");
    }
    double[] x = HostArrays.read(train.features());
    double[] y = HostArrays.read(train.labels());
    int batchSize = settings.fullBatch() || settings.batchSize() >= n ? n : settings.batchSize();
    int parameters = stack.parameterCount();
    float[] scratch = new float[2 * parameters];
    double[] w = HostArrays.read(network.params());
    double[] state = HostArrays.read(network.getUpdater().getStateViewArray());
    double[] m = java.util.Arrays.copyOfRange(state, 0, parameters);
    double[] v = java.util.Arrays.copyOfRange(state, parameters, 2 * parameters);
    double[] gradient = new double[parameters];
    DenseStack.Activations activations = stack.activations(batchSize);
    double[] batchLabels = new double[batchSize * classes];
    double[] outputGradient = new double[batchSize * classes];
    double[] p = new double[classes];
    double[] logP = new double[classes];
    int iteration = network.getIterationCount();
    int batchesPerEpoch = (n + batchSize - 1) / batchSize;
    for (int epoch = 0; epoch < settings.epochs(); epoch++) {
      int[] order = batchSize == n ? null : Permutation.of(n, seed, epoch);
      for (int from = 0; from < n; from += batchSize) {
        int rows = Math.min(batchSize, n - from);
        gather(x, width, order, from, rows, activations.input());
        gather(y, classes, order, from, rows, batchLabels);
        stack.forward(w, activations, rows);
        double loss = Softmax.crossEntropy(batchLabels, activations.logits(), rows, classes,
            outputGradient, p, logP);
        stack.backward(w, activations, rows, outputGradient, gradient);
        adamStep(iteration++, w, gradient, m, v);
        progress.step((long) epoch * batchesPerEpoch + from / batchSize + 1, loss);
      }
    }
    HostArrays.write(w, network.params(), scratch);
    System.arraycopy(m, 0, state, 0, parameters);
    System.arraycopy(v, 0, state, parameters, parameters);
    HostArrays.write(state, network.getUpdater().getStateViewArray(), scratch);
    network.setIterationCount(iteration);
  }

  /** One DL4J Adam update at iteration {@code t} (0-based), as libnd4j's adam_updater. */
  private void adamStep(int t, double[] w, double[] gradient, double[] m, double[] v) {
    double beta1 = adam.getBeta1();
    double beta2 = adam.getBeta2();
    double epsilon = adam.getEpsilon();
    double alpha = adam.getLearningRate() * Math.sqrt(1 - Math.pow(beta2, t + 1))
        / (1 - Math.pow(beta1, t + 1));
    if (!Double.isFinite(alpha) || alpha == 0) {
      alpha = epsilon;
    }
    for (int i = 0; i < w.length; i++) {
      double g = round(gradient[i]);
      m[i] = round(beta1 * m[i] + g * (1 - beta1));
      v[i] = round(beta2 * v[i] + g * g * (1 - beta2));
      w[i] = round(w[i] - round(m[i] * alpha / (Math.sqrt(v[i]) + epsilon)));
    }
  }

  private double round(double value) {
    return single ? (float) value : value;
  }

  /** Rows {@code order[from …]} (or rows {@code from …} without an order) of a [n, width] array. */
  private static void gather(double[] source, int width, int[] order, int from, int rows,
      double[] target) {
    for (int r = 0; r < rows; r++) {
      int row = order == null ? from + r : order[from + r];
      System.arraycopy(source, row * width, target, r * width, width);
    }
  }
}
