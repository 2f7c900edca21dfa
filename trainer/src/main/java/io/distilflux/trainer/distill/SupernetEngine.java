package io.distilflux.trainer.distill;

import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.trainer.complexity.Adam;
import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.structure.StructureHyperGradient;
import io.distilflux.trainer.structure.Supernet;
import io.distilflux.trainer.structure.SupernetLoss;
import io.distilflux.trainer.structure.SupernetSearch;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The steps of a supernet student in a distillation run (docs/structure.md §7): the weights of a
 * {@link Supernet} move by Adam along the cross-entropy's gradient at the structure logits log α
 * the run's meta-parameters carry ({@code logAlpha0…}), under fresh Gumbel noise at a fixed
 * temperature; a hypergradient step also returns dL_val/d(log α) ({@link StructureHyperGradient})
 * for the meta-optimizer. The supernet trains on the labels alone: λ and T do not enter its loss,
 * so their hypergradients are zero and the meta-optimizer leaves b1–b3 where they start.
 */
final class SupernetEngine {

  /** The Gumbel-softmax temperature c of the run's steps. */
  static final double TEMPERATURE = 1.0;
  private static final int EVALUATION_BATCH = 1000;

  private final Supernet net;
  private final double rate;
  private final SplittableRandom random;
  private final double[] w;
  private final Adam adam;
  private final double[] gradW;
  private Batch prepared;
  private SupernetLoss loss;
  private StructureHyperGradient hyper;
  private int capacity;
  private double[] lastLogAlpha;

  /**
   * @param net the supernet
   * @param rate Adam's step size for the weights, also β of the virtual step
   * @param seed initialisation and noise
   */
  SupernetEngine(Supernet net, double rate, long seed) {
    this.net = net;
    this.rate = rate;
    this.random = new SplittableRandom(seed);
    this.w = new double[net.parameterCount()];
    net.initialise(w, random);
    this.adam = new Adam(w.length, rate, Double.POSITIVE_INFINITY);
    this.gradW = new double[w.length];
  }

  /** The supernet. */
  Supernet net() {
    return net;
  }

  /** The structure logits of the latest step; zeros (uniform γ) before the first. */
  double[] lastLogAlpha() {
    return lastLogAlpha == null ? new double[net.structureSize()] : lastLogAlpha.clone();
  }

  /** A copy of the weights now. */
  double[] weights() {
    return w.clone();
  }

  void prepare(Batch batch) {
    prepared = batch;
  }

  /** The structure logits among the run's extras (natural values = coordinates), in order. */
  double[] logAlpha(Map<String, Double> extra) {
    double[] logAlpha = new double[net.structureSize()];
    for (int i = 0; i < logAlpha.length; i++) {
      String name = ExtraParameter.structureLogit(i).jsonName();
      Double value = extra.get(name);
      if (value == null) {
        throw new IllegalArgumentException("a supernet student's step needs " + name
            + " among the run's extra meta-parameters");
      }
      logAlpha[i] = value;
    }
    lastLogAlpha = logAlpha.clone();
    return logAlpha;
  }

  /** A plain step of the weights at these structure logits. */
  StepOutcome step(double[] logAlpha) {
    Examples train = examples(prepared.features(), prepared.labels());
    double ce = loss(train.count()).evaluate(w, logAlpha, SupernetLoss.noise(net, random),
        TEMPERATURE, train, identity(train.count()), 0, train.count(), gradW, null);
    adam.step(w, gradW);
    return new StepOutcome(ce, ce, 0, java.util.Optional.empty());
  }

  /** What a hypergradient step measured and dL_val/d(log α), flat like log α. */
  record HyperStep(StepOutcome outcome, double validationLoss,
      double validationGradientNormSquared, double[] dLogAlpha) {}

  /** The structure logits' hypergradient on {@code validation}, then the weights' step. */
  HyperStep stepWithHyperGradient(Split validation, double[] logAlpha) {
    Examples train = examples(prepared.features(), prepared.labels());
    Examples val = examples(validation.features(), validation.labels());
    int rows = Math.max(train.count(), val.count());
    SupernetLoss l = loss(rows);
    double[] noise = SupernetLoss.noise(net, random);
    int[] trainOrder = identity(train.count());
    double ce = l.evaluate(w, logAlpha, noise, TEMPERATURE, train, trainOrder, 0, train.count(),
        gradW, null);
    double[] dLogAlpha = new double[logAlpha.length];
    double validationLoss = hyper.compute(w, logAlpha, noise, TEMPERATURE, gradW,
        new StructureHyperGradient.Batch(train, trainOrder, 0, train.count()),
        new StructureHyperGradient.Batch(val, identity(val.count()), 0, val.count()), rate,
        dLogAlpha);
    adam.step(w, gradW);
    return new HyperStep(new StepOutcome(ce, ce, 0, java.util.Optional.empty()), validationLoss,
        hyper.validationGradientNormSquared(), dLogAlpha);
  }

  /** Accuracy and mean cross-entropy at γ = softmax(log α / c) without noise. */
  EvaluationResult evaluate(Split split, double[] logAlpha) {
    Examples data = examples(split.features(), split.labels());
    double[] noise = new double[net.structureSize()];
    double[] gamma = SupernetLoss.gamma(net, logAlpha, noise, TEMPERATURE);
    int n = data.count();
    int[] order = identity(n);
    SupernetLoss l = new SupernetLoss(net, Math.min(n, EVALUATION_BATCH));
    double sum = 0;
    for (int from = 0; from < n; from += EVALUATION_BATCH) {
      int rows = Math.min(EVALUATION_BATCH, n - from);
      sum += l.evaluate(w, logAlpha, noise, TEMPERATURE, data, order, from, rows, null, null)
          * rows;
    }
    return new EvaluationResult(net.accuracy(w, gamma, data), sum / n);
  }

  /** The argmax block per edge of these logits. */
  int[] choice(double[] logAlpha) {
    return SupernetSearch.choice(net, logAlpha);
  }

  /** A loss (and its hypergradient) for batches of at least {@code rows} examples. */
  private SupernetLoss loss(int rows) {
    if (loss == null || capacity < rows) {
      loss = new SupernetLoss(net, rows);
      hyper = new StructureHyperGradient(loss);
      capacity = rows;
    }
    return loss;
  }


  /** Features flattened per row and one-hot labels as class indices. */
  private Examples examples(INDArray features, INDArray labels) {
    int n = (int) features.size(0);
    float[] x = features.reshape(n, -1).castTo(DataType.FLOAT).dup('c').data().asFloat();
    long[] argmax = labels.argMax(1).toLongVector();
    byte[] y = new byte[n];
    for (int i = 0; i < n; i++) {
      y[i] = (byte) argmax[i];
    }
    return new Examples(x, y, x.length / n, (int) labels.size(1));
  }

  private static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }
}
