package io.distilflux.trainer.distill;

import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.RunConfig.UnrolledDerivative;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.model.DenseKernel;
import io.distilflux.trainer.model.DenseStack;
import io.distilflux.trainer.model.HostArrays;
import io.distilflux.trainer.model.Nd4jGemmKernel;
import java.util.Arrays;
import java.util.Optional;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The whole distillation step of a plain dense student ({@link DenseStack}) on Java arrays:
 * forward, loss ({@link DistillationLoss}'s row kernel), backward, the optimizer ({@link
 * InnerOptimizer}'s arithmetic), and for a hypergradient step the validation pass at w', the
 * sensitivity u and the exact tangent J·u. A step of a small student is a few hundred
 * floating-point operations; through DL4J's layers it cost about a millisecond of per-op
 * overhead, here it costs microseconds. A larger student (above {@link #MAX_WEIGHTS}) runs the
 * same step with its matrix products handed to BLAS ({@link Nd4jGemmKernel}, path {@code
 * dense-gemm}): 3L − 1 gemms a plain step for L layers, the elementwise rest in Java loops.
 *
 * <p>The network's parameter vector stays the source of truth: each step reads it (one native
 * copy) and writes the updated parameters back, so evaluation, checkpoints and a caller's
 * {@code params().assign(…)} see and set the same numbers as on the DL4J path. Parameters,
 * moments and Δ are rounded to the network's precision wherever the DL4J path stores them in its
 * arrays; everything between is computed in double. Buffers are allocated once per batch
 * capacity. Not thread-safe.
 */
final class DenseEngine {

  private static final int EVALUATION_BATCH = 512;
  /**
   * Largest student (weights per example) whose products the engine computes in Java loops;
   * larger ones go to BLAS ({@link Nd4jGemmKernel}). The loops cost about 0.4 ns per multiply-add
   * and pass with no per-call overhead; a gemm is faster per multiply-add but costs microseconds
   * per call and a copy of its operands. At batch 128 they break even near 2 000 weights:
   * mnist-mlp-small (79 510) measured 13.0 ms a plain step in Java loops, logistic regression on
   * the synthetic data 5 µs in loops against 280 µs through DL4J.
   */
  static final long MAX_WEIGHTS = 2048;

  private final MultiLayerNetwork network;
  private final DenseStack stack;
  private final DenseKernel kernel;
  private final DistillationLoss loss;
  private final OptimizerKind kind;
  /** The rule whose derivative the hypergradient uses (see {@link UnrolledDerivative}). */
  private final OptimizerKind differentiated;
  private final double learningRate;
  private final boolean single;
  private final int classes;
  private final double[] mask;
  private final double[] w;
  private final double[] virtual;
  private final double[] gradient;
  private final double[] validationGradient;
  private final double[] delta;
  private final double[] derivative;
  private final double[] u;
  private double[] firstMoment;
  private double[] secondMoment;
  private double[] nextFirstMoment;
  private double[] nextSecondMoment;
  private long steps;
  private float[] scratch;
  private Pass training;
  private Pass validation;
  private final double[] p;
  private final double[] logP;

  private DenseEngine(MultiLayerNetwork network, DenseStack stack, OptimizerKind kind,
      UnrolledDerivative unrolled, double learningRate, TrainableMask mask,
      DistillationLoss loss) {
    this.network = network;
    this.stack = stack;
    this.kernel = stack.multiplyAddsPerExample() <= MAX_WEIGHTS ? DenseKernel.JAVA
        : new Nd4jGemmKernel();
    this.loss = loss;
    this.kind = kind;
    this.differentiated = InnerOptimizer.differentiated(kind, unrolled);
    this.learningRate = learningRate;
    this.single = network.params().dataType() != DataType.DOUBLE;
    this.classes = stack.outputWidth();
    int n = stack.parameterCount();
    this.mask = HostArrays.read(mask.values());
    this.w = new double[n];
    this.virtual = new double[n];
    this.gradient = new double[n];
    this.validationGradient = new double[n];
    this.delta = new double[n];
    this.derivative = new double[n];
    this.u = new double[n];
    this.firstMoment = new double[n];
    this.secondMoment = new double[n];
    this.nextFirstMoment = new double[n];
    this.nextSecondMoment = new double[n];
    this.scratch = new float[n];
    this.p = new double[classes];
    this.logP = new double[classes];
  }

  /**
   * The engine of a plain dense student (its products in Java loops up to {@link #MAX_WEIGHTS}
   * weights per example, through BLAS above), or empty for any other network.
   */
  static Optional<DenseEngine> forNetwork(MultiLayerNetwork network, OptimizerKind kind,
      UnrolledDerivative unrolled, double learningRate, TrainableMask mask,
      DistillationLoss loss) {
    DataType type = network.params().dataType();
    if (type != DataType.FLOAT && type != DataType.DOUBLE) {
      return Optional.empty();
    }
    return DenseStack.ofStudent(network)
        .map(stack -> new DenseEngine(network, stack, kind, unrolled, learningRate, mask,
            loss));
  }

  /** {@code dense-engine} (Java loops) or {@code dense-gemm} (BLAS products). */
  String path() {
    return kernel == DenseKernel.JAVA ? "dense-engine" : "dense-gemm";
  }

  /** The training-mode forward of a batch (the parameters are read from the network). */
  void prepare(Batch batch) {
    int rows = batch.size();
    training = fit(training, rows);
    training.read(batch.features(), batch.labels(), batch.teacherLogits());
    HostArrays.read(network.params(), w, scratch);
    stack.forward(w, training.activations, rows);
  }

  /** A plain step from the prepared forward, written back to the network. */
  StepOutcome step(MetaValues values) {
    DistillationLoss.Rows terms = trainGradient(values, null);
    apply();
    return new StepOutcome(terms.total(), terms.crossEntropy(), terms.distillation(),
        Optional.empty());
  }

  /**
   * A step from the prepared forward that first computes its hypergradient on {@code
   * validationBatch}.
   *
   * @return the step's train terms, dL_val/dλ1, dL_val/dλ2, dL_val/dT, L_val(w') and ‖v‖²
   */
  HyperStep stepWithHyperGradient(Split validationBatch, MetaValues values) {
    DistillationLoss.Rows terms = trainGradient(values, derivative);
    double validationLoss = validationAtVirtualPoint(validationBatch, validationGradient);
    double validationNormSquared = Rows.dot(validationGradient, validationGradient,
        validationGradient.length);
    InnerOptimizer.sensitivity(differentiated, learningRate, mask, derivative,
        validationGradient, u, single);
    int rows = training.rows;
    double[] ju = training.tangent;
    if (finite(u)) {
      stack.tangent(w, u, training.activations, rows, ju);
    } else {
      // NaN parameters need not reach the logits (ReLU may drop them): report a non-finite
      // direction as such
      Arrays.fill(ju, 0, rows * classes, Double.NaN);
    }
    double dLambda1 = -Rows.dot(ju, terms.lambda1Direction(), rows * classes);
    double dLambda2 = -Rows.dot(ju, terms.lambda2Direction(), rows * classes);
    double dTemperature = -Rows.dot(ju, terms.temperatureDirection(), rows * classes);
    apply();
    return new HyperStep(new StepOutcome(terms.total(), terms.crossEntropy(),
        terms.distillation(), Optional.empty()), dLambda1, dLambda2, dTemperature,
        validationLoss, validationNormSquared);
  }

  /** L_val(U(w)) after the step the prepared forward would take; w and the state unchanged. */
  double lookaheadValidationLoss(Split validationBatch, MetaValues values) {
    trainGradient(values, null);
    return validationAtVirtualPoint(validationBatch, null);
  }

  /** Accuracy and mean CE on a split at the network's parameters, in batches. */
  EvaluationResult evaluate(Split split) {
    int n = split.size();
    HostArrays.read(network.params(), w, scratch);
    Pass pass = new Pass(Math.min(n, EVALUATION_BATCH));
    long correct = 0;
    double lossSum = 0;
    for (int from = 0; from < n; from += EVALUATION_BATCH) {
      int to = Math.min(n, from + EVALUATION_BATCH);
      int rows = to - from;
      pass.read(Rows.rowRange(split.features(), from, to),
          Rows.rowRange(split.labels(), from, to), null);
      stack.forward(w, pass.activations, rows);
      double[] z = pass.activations.logits();
      lossSum += Softmax.crossEntropy(pass.labels, z, rows, classes, null, p, logP) * rows;
      correct += Rows.correct(z, pass.labels, rows, classes);
    }
    return new EvaluationResult((double) correct / n, lossSum / n);
  }

  /** Copy of m, v, t. */
  OptimizerState state() {
    return new OptimizerState(array(firstMoment), array(secondMoment), steps);
  }

  /** Restores a state taken by {@link #state()} or by {@link InnerOptimizer#state()}. */
  void restore(OptimizerState state) {
    for (INDArray moment : new INDArray[] {state.firstMoment(), state.secondMoment()}) {
      if (moment.length() != w.length) {
        throw new IllegalArgumentException("optimizer state has " + moment.length()
            + " entries, parameters " + w.length);
      }
    }
    if (state.steps() < 0) {
      throw new IllegalArgumentException("optimizer state steps must be >= 0, got "
          + state.steps());
    }
    HostArrays.read(state.firstMoment(), firstMoment, scratch);
    HostArrays.read(state.secondMoment(), secondMoment, scratch);
    for (int i = 0; i < w.length; i++) {
      firstMoment[i] = InnerOptimizer.round(firstMoment[i], single);
      secondMoment[i] = InnerOptimizer.round(secondMoment[i], single);
    }
    steps = state.steps();
  }

  /** Loss terms of the prepared batch, its gradient and the proposed Δ (and ∂Δ/∂g if asked). */
  private DistillationLoss.Rows trainGradient(MetaValues values, double[] wantDerivative) {
    int rows = training.rows;
    loss.evaluate(training.activations.logits(), training.labels, training.teacherLogits, rows,
        values, training.terms);
    stack.backward(w, training.activations, rows, training.terms.outputGradient(), gradient);
    InnerOptimizer.propose(kind, learningRate, steps + 1, gradient, mask, firstMoment,
        secondMoment, delta, nextFirstMoment, nextSecondMoment, wantDerivative, single);
    return training.terms;
  }

  /**
   * L_val at w' = w − Δ on the validation batch and, when {@code gradientOut} is given, its
   * gradient with respect to the parameters there.
   */
  private double validationAtVirtualPoint(Split batch, double[] gradientOut) {
    for (int i = 0; i < w.length; i++) {
      virtual[i] = InnerOptimizer.round(w[i] - delta[i], single);
    }
    int rows = batch.size();
    validation = fit(validation, rows);
    validation.read(batch.features(), batch.labels(), null);
    stack.forward(virtual, validation.activations, rows);
    double[] z = validation.activations.logits();
    double[] outputGradient = gradientOut == null ? null : validation.terms.outputGradient();
    double value = Softmax.crossEntropy(validation.labels, z, rows, classes, outputGradient, p,
        logP);
    if (gradientOut != null) {
      stack.backward(virtual, validation.activations, rows, outputGradient, gradientOut);
    }
    return value;
  }

  /** Takes the proposed step: moves w, advances the state, writes w to the network. */
  private void apply() {
    for (int i = 0; i < w.length; i++) {
      w[i] = InnerOptimizer.round(w[i] - delta[i], single);
    }
    if (kind == OptimizerKind.ADAM) {
      double[] swap = firstMoment;
      firstMoment = nextFirstMoment;
      nextFirstMoment = swap;
      swap = secondMoment;
      secondMoment = nextSecondMoment;
      nextSecondMoment = swap;
    }
    steps++;
    HostArrays.write(w, network.params(), scratch);
  }

  /** {@code pass} if it holds {@code rows}, else a new one that does. */
  private Pass fit(Pass pass, int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("a batch needs at least one example, got " + rows);
    }
    return pass != null && pass.activations.capacity() >= rows ? pass : new Pass(rows);
  }

  private INDArray array(double[] values) {
    INDArray out = Nd4j.create(network.params().dataType(), network.params().shape());
    HostArrays.write(values, out, scratch);
    return out;
  }

  private static boolean finite(double[] values) {
    double sum = 0;
    for (double value : values) {
      sum += value * 0;
    }
    return sum == 0;
  }




  /** One hypergradient step's numbers, before the chain rule to b. */
  record HyperStep(StepOutcome outcome, double dLambda1, double dLambda2, double dTemperature,
      double validationLoss, double validationGradientNormSquared) {}

  /** Buffers of one batch: its inputs, labels, teacher logits, activations and loss terms. */
  private final class Pass {
    final DenseStack.Activations activations;
    final double[] labels;
    final double[] teacherLogits;
    final double[] tangent;
    final DistillationLoss.Rows terms;
    int rows;

    Pass(int capacity) {
      activations = stack.activations(capacity, kernel);
      labels = new double[capacity * classes];
      teacherLogits = new double[capacity * classes];
      tangent = new double[capacity * classes];
      terms = new DistillationLoss.Rows(capacity, classes);
      int widest = capacity * Math.max(stack.inputWidth(), classes);
      if (scratch.length < widest) {
        scratch = new float[widest];
      }
    }

    /** Reads a batch in; {@code teacher} may be null (validation and evaluation batches). */
    void read(INDArray features, INDArray labelArray, INDArray teacher) {
      int n = Math.toIntExact(features.size(0));
      if (n > activations.capacity() || features.length() != (long) n * stack.inputWidth()) {
        throw new IllegalArgumentException("features have shape "
            + Arrays.toString(features.shape()) + ", the student expects [" + n + ", "
            + stack.inputWidth() + "] (at most " + activations.capacity() + " rows)");
      }
      requireLogitShape("labels", labelArray, n);
      HostArrays.read(features, activations.input(), scratch);
      HostArrays.read(labelArray, labels, scratch);
      if (teacher != null) {
        requireLogitShape("teacherLogits", teacher, n);
        HostArrays.read(teacher, teacherLogits, scratch);
      }
      rows = n;
    }

    private void requireLogitShape(String what, INDArray array, int n) {
      if (array.rank() != 2 || array.size(0) != n || array.size(1) != classes) {
        throw new IllegalArgumentException(what + " have shape "
            + Arrays.toString(array.shape()) + " but the student logits have [" + n + ", "
            + classes + "]");
      }
    }
  }
}
