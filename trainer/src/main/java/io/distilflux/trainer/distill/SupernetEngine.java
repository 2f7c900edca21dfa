package io.distilflux.trainer.distill;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.StructureChosen;
import io.distilflux.trainer.complexity.Adam;
import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.structure.GumbelSoftmax;
import io.distilflux.trainer.structure.StructureHyperGradient;
import io.distilflux.trainer.structure.Supernet;
import io.distilflux.trainer.structure.SupernetDistillation;
import io.distilflux.trainer.structure.SupernetLoss;
import io.distilflux.trainer.structure.SupernetSearch;
import java.util.stream.IntStream;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The steps of a supernet student in a distillation run (docs/structure.md §7): the weights of a
 * {@link Supernet} move by Adam along the cross-entropy's gradient at the structure logits log α
 * the run's meta-parameters carry ({@code logAlpha0…}), under fresh Gumbel noise at a temperature
 * c annealed geometrically from 1 at the first step to 0.1 at the search's last scheduled step
 * (then held); a hypergradient step also returns dL_val/d(log α) ({@link StructureHyperGradient})
 * for the meta-optimizer. The trainer applies the schedule itself: c follows from the step and
 * the run's length alone and receives no hypergradient, so it has nothing to gain from a round
 * trip through the meta-optimizer. The supernet trains on the labels alone: λ and T do not enter its loss,
 * so their hypergradients are zero and the meta-optimizer leaves b1–b3 where they start.
 *
 * <p>After {@code searchSteps}, at the next mini-epoch boundary, the run {@link #choose chooses}
 * the argmax structure: from then on the steps train the discrete student cut out of the
 * supernet, distilled from the supernet at its noise-free structure weights with λ and T as they
 * stand at the switch; every hypergradient after it is zero, the structure being fixed.
 */
final class SupernetEngine {

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
  private final long searchSteps;
  private final int miniEpoch;
  /** Supernet steps taken so far, and the temperature the latest one used. */
  private long supernetSteps;
  private double temperature = GumbelSoftmax.FIRST_TEMPERATURE;
  /** After the switch: the discrete student, its weights and its distillation; null before. */
  private Supernet student;
  private double[] studentWeights;
  private SupernetDistillation.Stepper distillation;

  /**
   * @param net the supernet
   * @param rate Adam's step size for the weights, also β of the virtual step
   * @param seed initialisation and noise
   * @param searchSteps steps of the search before the switch (the switch waits for the next
   *     multiple of {@code miniEpoch})
   * @param miniEpoch E, steps per mini-epoch (at least 1)
   */
  SupernetEngine(Supernet net, double rate, long seed, long searchSteps, int miniEpoch) {
    if (searchSteps < 0 || miniEpoch < 1) {
      throw new IllegalArgumentException("a supernet search needs searchSteps >= 0 and a"
          + " mini-epoch of at least one step");
    }
    this.searchSteps = searchSteps;
    this.miniEpoch = miniEpoch;
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

  /**
   * The Gumbel-softmax temperature of the latest supernet step (1 before the first; after the
   * switch, the one the supernet teaches at).
   */
  double temperature() {
    return temperature;
  }

  /**
   * The temperature of the next supernet step: c_t = 1·(0.1/1)^{t/(S−1)} for S search steps,
   * so that the last scheduled step uses 0.1 exactly; 0.1 past it and for S ≤ 1.
   */
  private double nextTemperature() {
    long last = searchSteps - 1;
    temperature = last < 1 ? GumbelSoftmax.LAST_TEMPERATURE
        : GumbelSoftmax.annealed(GumbelSoftmax.FIRST_TEMPERATURE,
            GumbelSoftmax.LAST_TEMPERATURE, Math.min(supernetSteps, last), last);
    supernetSteps++;
    return temperature;
  }

  /** Whether the structure is to be chosen before step {@code step}. */
  boolean structureDue(long step) {
    return student == null && step >= searchSteps && step % miniEpoch == 0;
  }

  /** Whether the structure has been chosen: the steps train the discrete student. */
  boolean switched() {
    return student != null;
  }

  /**
   * Chooses the argmax structure of the latest logits and switches to the discrete student.
   *
   * @param lastStep the last step trained as a supernet
   * @param values λ1, λ2 and T of the student's distillation from then on
   */
  StructureChosen choose(String runId, long lastStep, MetaValues values) {
    if (student != null) {
      throw new IllegalStateException("the structure is already chosen");
    }
    double[] logAlpha = lastLogAlpha();
    int[] choice = choice(logAlpha);
    student = net.discrete(choice);
    studentWeights = net.discreteWeights(w, choice);
    double[] teacherGamma = SupernetLoss.gamma(net, logAlpha, new double[net.structureSize()],
        temperature);
    distillation = new SupernetDistillation(net, w.clone(), teacherGamma, values)
        .stepper(student, studentWeights, Math.max(1, capacity), rate);
    return new StructureChosen(Event.CURRENT_SCHEMA_VERSION, runId, lastStep,
        java.util.Arrays.stream(net.hiddenSizes(choice)).boxed().toList(),
        java.util.Arrays.stream(logAlpha).boxed().toList());
  }

  /** A plain step of the weights at these structure logits. */
  StepOutcome step(double[] logAlpha) {
    if (student != null) {
      return distil();
    }
    Examples train = examples(prepared.features(), prepared.labels());
    double ce = loss(train.count()).evaluate(w, logAlpha, SupernetLoss.noise(net, random),
        nextTemperature(), train, inOrder(train), 0, train.count(), gradW, null);
    adam.step(w, gradW);
    return new StepOutcome(ce, ce, 0, java.util.Optional.empty());
  }

  /** What a hypergradient step measured and dL_val/d(log α), flat like log α. */
  record HyperStep(StepOutcome outcome, double validationLoss,
      double validationGradientNormSquared, double[] dLogAlpha) {}

  /** The structure logits' hypergradient on {@code validation}, then the weights' step. */
  HyperStep stepWithHyperGradient(Split validation, double[] logAlpha) {
    if (student != null) {
      StepOutcome outcome = distil();
      Examples val = examples(validation.features(), validation.labels());
      double validationLoss = new SupernetLoss(student, val.count()).evaluate(studentWeights,
          new double[Supernet.EDGES], new double[Supernet.EDGES], 1, val,
          inOrder(val), 0, val.count(), null, null);
      // the structure is fixed and λ, T do not reach the validation loss through a step
      return new HyperStep(outcome, validationLoss, Double.NaN, new double[logAlpha.length]);
    }
    Examples train = examples(prepared.features(), prepared.labels());
    Examples val = examples(validation.features(), validation.labels());
    int rows = Math.max(train.count(), val.count());
    SupernetLoss l = loss(rows);
    double[] noise = SupernetLoss.noise(net, random);
    int[] trainOrder = inOrder(train);
    double c = nextTemperature();
    double ce = l.evaluate(w, logAlpha, noise, c, train, trainOrder, 0, train.count(),
        gradW, null);
    double[] dLogAlpha = new double[logAlpha.length];
    double validationLoss = hyper.compute(w, logAlpha, noise, c, gradW,
        new StructureHyperGradient.Batch(train, trainOrder, 0, train.count()),
        new StructureHyperGradient.Batch(val, inOrder(val), 0, val.count()), rate,
        dLogAlpha);
    adam.step(w, gradW);
    return new HyperStep(new StepOutcome(ce, ce, 0, java.util.Optional.empty()), validationLoss,
        hyper.validationGradientNormSquared(), dLogAlpha);
  }

  /** The discrete student's distillation step on the prepared batch. */
  private StepOutcome distil() {
    Examples train = examples(prepared.features(), prepared.labels());
    if (train.count() > capacity) {
      throw new IllegalStateException("a batch of " + train.count()
          + " examples after the switch, larger than the search's " + capacity);
    }
    var terms = distillation.step(train, inOrder(train), 0, train.count());
    return new StepOutcome(terms.total(), terms.crossEntropy(), terms.distillation(),
        java.util.Optional.empty());
  }

  /**
   * Accuracy and mean cross-entropy: of the supernet at γ = softmax(log α / c) without noise
   * before the switch, of the discrete student after it.
   */
  EvaluationResult evaluate(Split split, double[] logAlpha) {
    Examples data = examples(split.features(), split.labels());
    if (student != null) {
      // one block per edge: γ is 1 whatever the temperature
      return evaluate(student, studentWeights, new double[Supernet.EDGES], 1, data);
    }
    return evaluate(net, w, logAlpha, temperature, data);
  }

  private static EvaluationResult evaluate(Supernet net, double[] w, double[] logAlpha,
      double temperature, Examples data) {
    double[] noise = new double[net.structureSize()];
    double[] gamma = SupernetLoss.gamma(net, logAlpha, noise, temperature);
    int n = data.count();
    int[] order = IntStream.range(0, n).toArray();
    SupernetLoss l = new SupernetLoss(net, Math.min(n, EVALUATION_BATCH));
    double sum = 0;
    for (int from = 0; from < n; from += EVALUATION_BATCH) {
      int rows = Math.min(EVALUATION_BATCH, n - from);
      sum += l.evaluate(w, logAlpha, noise, temperature, data, order, from, rows, null, null)
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


  /** The examples' indices in order: a step takes its batch whole. */
  private static int[] inOrder(Examples examples) {
    return IntStream.range(0, examples.count()).toArray();
  }
}
