package io.distilflux.trainer.distill;

import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.RunConfig.UnrolledDerivative;
import io.distilflux.trainer.complexity.ComplexityHyperGradient;
import io.distilflux.trainer.complexity.Evaluator;
import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.VariationalMlp;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.model.DenseStack;
import io.distilflux.trainer.model.HostArrays;
import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The distillation step of a variational dense student (docs/complexity.md §4) on Java arrays in
 * double precision: q(w) = Π N(μ_j, σ_j²), σ = e^ρ, prior N(0, s_p²), trained on
 *
 * <pre>L_train(θ) = λ1·CE + λ2·κ·KD(T) + λ_c·KL(q‖p)/N,  θ = (μ, ρ),</pre>
 *
 * N the training-set size, with the local reparameterisation trick for the training forward
 * ({@link VariationalMlp#sampledForward}) and the means for the validation loss and evaluation.
 *
 * <p>The one-step hypergradient is exact for the step the optimizer takes, θ' = θ − Δ(g): with
 * v = ∇θ'L_val (zero on ρ, since L_val reads the means) and u = (∂Δ/∂g)ᵀv ({@link
 * InnerOptimizer#sensitivity}: γv for SGD, Adam's diagonal derivative ⊙ v for Adam, or γv for
 * either when the unrolled derivative is {@code sgd}), dL_val/dλ = −⟨u, ∂g/∂λ⟩. Backprop with
 * the activations and the noise ε fixed is linear in the output gradient, so ∂g/∂λ1, ∂g/∂λ2 and
 * ∂g/∂T are each one backward pass of the matching output direction of {@link DistillationLoss}
 * (∂/∂T of the output gradient for T), and ∂g/∂λ_c = ∇KL/N needs none: dL_val/dλ_c =
 * −(1/N)⟨u, ∇KL⟩, which for SGD is ComplexityHyperGradient's closed form −(γ/N)Σ v_μ·μ/s_p².
 *
 * <p>ε is drawn per forward from a generator seeded by the run's seed and the optimizer's step
 * count, so a forward repeated without a step in between (a look-ahead, a gradient check) sees
 * the same noise. The student network holds μ, written back after every step in DL4J's layout,
 * so exports and the mean predictions of other code see the trained means; ρ and the optimizer
 * moments of (μ, ρ) live here only. Not thread-safe.
 */
final class VariationalEngine {

  /** The prior's variance s_p², as in the complexity experiment (docs/complexity.md §1). */
  static final double PRIOR_VARIANCE = 0.1;
  /** ρ of every parameter at the start: σ = e^{−3}, as in the complexity experiment. */
  static final double INITIAL_RHO = -3.0;
  private static final int EVALUATION_BATCH = 512;
  /** Test rows the stability S is measured on. */
  static final int STABILITY_SLICE = 2000;

  private final MultiLayerNetwork network;
  private final DenseStack stack;
  private final VariationalMlp mlp;
  private final DistillationLoss loss;
  private final OptimizerKind kind;
  private final OptimizerKind differentiated;
  private final double learningRate;
  private final int trainingSize;
  private final long seed;
  private final int parameters;
  private final int classes;
  /** θ = (μ, ρ) in VariationalMlp's row-major layout; vectors over θ hold μ's part first. */
  private final double[] mu;
  private final double[] rho;
  private final double[] sigma2;
  private final double[] gradient;
  private final double[] gradMu;
  private final double[] gradSigma2;
  private final double[] delta;
  private final double[] derivative;
  private final double[] validationGradient;
  private final double[] u;
  private final double[] along;
  private final double[] virtualMu;
  private final double[] ones;
  private double[] firstMoment;
  private double[] secondMoment;
  private double[] nextFirstMoment;
  private double[] nextSecondMoment;
  private long steps;
  private float[] scratch = new float[0];
  private Pass training;
  private Pass validation;
  private final double[] p;
  private final double[] logP;
  private Split stabilitySource;
  private Examples stabilitySlice;

  private VariationalEngine(MultiLayerNetwork network, DenseStack stack, OptimizerKind kind,
      UnrolledDerivative unrolled, double learningRate, DistillationLoss loss, int trainingSize,
      long seed) {
    this.network = network;
    this.stack = stack;
    this.mlp = new VariationalMlp(stack.widths());
    this.loss = loss;
    this.kind = kind;
    this.differentiated = InnerOptimizer.differentiated(kind, unrolled);
    this.learningRate = learningRate;
    this.trainingSize = trainingSize;
    this.seed = seed;
    this.parameters = mlp.parameterCount();
    this.classes = mlp.classes();
    int n = 2 * parameters;
    mu = new double[parameters];
    rho = new double[parameters];
    sigma2 = new double[parameters];
    gradient = new double[n];
    gradMu = new double[parameters];
    gradSigma2 = new double[parameters];
    delta = new double[n];
    derivative = new double[n];
    validationGradient = new double[n];
    u = new double[n];
    along = new double[n];
    virtualMu = new double[parameters];
    ones = new double[n];
    Arrays.fill(ones, 1.0);
    firstMoment = new double[n];
    secondMoment = new double[n];
    nextFirstMoment = new double[n];
    nextSecondMoment = new double[n];
    p = new double[classes];
    logP = new double[classes];
    // μ starts at the network's initial weights, so a seed gives the plain student's start
    double[] w = HostArrays.read(network.params());
    fromNetworkLayout(w, mu);
    Arrays.fill(rho, INITIAL_RHO);
  }

  /**
   * The engine of a student made of plain dense layers with ReLU hidden layers and linear
   * logits; a one-line error for any other.
   *
   * @param trainingSize N, the student's training-set size, which KL is divided by
   * @param seed seed of the noise ε
   */
  static VariationalEngine forNetwork(MultiLayerNetwork network, OptimizerKind kind,
      UnrolledDerivative unrolled, double learningRate, DistillationLoss loss, int trainingSize,
      long seed) {
    Optional<DenseStack> stack = DenseStack.ofStudent(network);
    boolean fits = stack.isPresent();
    for (int l = 0; fits && l < stack.get().layers(); l++) {
      fits = stack.get().isRelu(l) == (l < stack.get().layers() - 1);
    }
    if (!fits) {
      throw new IllegalArgumentException("a variational student must be plain dense layers with"
          + " ReLU hidden layers and linear logits (for example mnist-mlp-small or logreg)");
    }
    if (trainingSize < 1) {
      throw new IllegalArgumentException("training-set size must be >= 1, got " + trainingSize);
    }
    return new VariationalEngine(network, stack.get(), kind, unrolled, learningRate, loss,
        trainingSize, seed);
  }

  /** Short name of the path. */
  String path() {
    return "variational-dense";
  }

  /** KL(q‖p) at the current θ. */
  double kl() {
    return VariationalMlp.kl(mu, rho, PRIOR_VARIANCE);
  }

  /** The mean of the posterior's standard deviations σ = e^ρ, for logs and reports. */
  double meanSigma() {
    double sum = 0;
    for (int k = 0; k < parameters; k++) {
      sum += Math.exp(rho[k]);
    }
    return sum / parameters;
  }

  /** Reads a batch in and runs its sampled forward with this step's noise. */
  void prepare(Batch batch) {
    training = fit(training, batch.size());
    training.read(batch.features(), batch.labels(), batch.teacherLogits());
    VariationalMlp.variances(rho, sigma2);
    mlp.drawNoise(training.buffers, training.rows, noise());
    mlp.sampledForward(mu, sigma2, training.buffers, training.rows);
  }

  /** A plain step from the prepared forward at λ and λ_c. */
  StepOutcome step(MetaValues values, double lambdaC) {
    DistillationLoss.Rows terms = trainGradient(values, lambdaC, null);
    double kl = kl();
    apply();
    return outcome(terms, lambdaC, kl);
  }

  /**
   * A step from the prepared forward that first computes its hypergradient on {@code
   * validationBatch}.
   */
  HyperStep stepWithHyperGradient(Split validationBatch, MetaValues values, double lambdaC) {
    DistillationLoss.Rows terms = trainGradient(values, lambdaC, derivative);
    double kl = kl();
    double validationLoss = validationAtVirtualPoint(validationBatch, validationGradient);
    double validationNormSquared =
        Rows.dot(validationGradient, validationGradient, validationGradient.length);
    InnerOptimizer.sensitivity(differentiated, learningRate, ones, derivative,
        validationGradient, u, false);
    double dLambda1 = -directional(terms.lambda1Direction());
    double dLambda2 = -directional(terms.lambda2Direction());
    double dTemperature = -directional(terms.temperatureDirection());
    // ∂g/∂λ_c = ∇KL/N; u plays the part of γ·v in the closed form (it is γ·v for SGD)
    double dLambdaC = ComplexityHyperGradient.withRespectToLambda(
        Arrays.copyOfRange(u, 0, parameters), Arrays.copyOfRange(u, parameters, 2 * parameters),
        mu, rho, PRIOR_VARIANCE, 1.0, trainingSize);
    StepOutcome outcome = outcome(terms, lambdaC, kl);
    apply();
    return new HyperStep(outcome, dLambda1, dLambda2, dTemperature, dLambdaC, validationLoss,
        validationNormSquared);
  }

  /** L_val(U(θ)) after the step the prepared forward would take; θ and the state unchanged. */
  double lookaheadValidationLoss(Split validationBatch, MetaValues values, double lambdaC) {
    trainGradient(values, lambdaC, null);
    return validationAtVirtualPoint(validationBatch, null);
  }

  /** Accuracy and mean CE on a split with the means, in batches. */
  EvaluationResult evaluate(Split split) {
    int n = split.size();
    Pass pass = new Pass(Math.min(n, EVALUATION_BATCH));
    long correct = 0;
    double lossSum = 0;
    for (int from = 0; from < n; from += EVALUATION_BATCH) {
      int to = Math.min(n, from + EVALUATION_BATCH);
      int rows = to - from;
      pass.read(Rows.rowRange(split.features(), from, to),
          Rows.rowRange(split.labels(), from, to), null);
      mlp.meanForward(mu, pass.buffers, rows);
      double[] z = pass.buffers.logits();
      lossSum += Softmax.crossEntropy(pass.labels, z, rows, classes, null, p, logP) * rows;
      correct += Rows.correct(z, pass.labels, rows, classes);
    }
    return new EvaluationResult((double) correct / n, lossSum / n);
  }

  /**
   * S = acc(0 %)/acc(90 % pruned) with the means on the first {@link #STABILITY_SLICE} rows of
   * {@code split}, pruned as the complexity experiment prunes (per layer, weights only, by
   * μ²/σ²; docs/complexity.md §1). The slice is read once per split.
   */
  double stability(Split split) {
    if (stabilitySource != split) {
      int n = Math.min(STABILITY_SLICE, split.size());
      int width = mlp.inputWidth(0);
      double[] x = HostArrays.read(Rows.rowRange(split.features(), 0, n));
      double[] y = HostArrays.read(Rows.rowRange(split.labels(), 0, n));
      float[] features = new float[n * width];
      byte[] labels = new byte[n];
      for (int k = 0; k < features.length; k++) {
        features[k] = (float) x[k];
      }
      for (int r = 0; r < n; r++) {
        labels[r] = (byte) Rows.argMax(y, r * classes, classes);
      }
      stabilitySlice = new Examples(features, labels, width, classes);
      stabilitySource = split;
    }
    Evaluator evaluator = new Evaluator(mlp, PRIOR_VARIANCE);
    double[] curve = {evaluator.accuracy(mu, stabilitySlice),
        evaluator.accuracy(evaluator.prune(mu, rho, 0.9), stabilitySlice)};
    return Evaluator.stability(curve);
  }

  /** A copy of θ = (μ, ρ), μ first, for checks. */
  double[] parameters() {
    double[] theta = Arrays.copyOf(mu, 2 * parameters);
    System.arraycopy(rho, 0, theta, parameters, parameters);
    return theta;
  }

  /** Loss terms of the prepared batch, g = ∇θL_train and the proposed Δ (∂Δ/∂g if asked). */
  private DistillationLoss.Rows trainGradient(MetaValues values, double lambdaC,
      double[] wantDerivative) {
    int rows = training.rows;
    loss.evaluate(training.buffers.logits(), training.labels, training.teacherLogits, rows,
        values, training.terms);
    backward(training.terms.outputGradient(), gradient);
    // + (λ_c/N)·∇KL: ∂KL/∂μ = μ/s_p², ∂KL/∂ρ = σ²/s_p² − 1
    double scale = lambdaC / trainingSize;
    for (int k = 0; k < parameters; k++) {
      gradient[k] += scale * mu[k] / PRIOR_VARIANCE;
      gradient[parameters + k] += scale * (sigma2[k] / PRIOR_VARIANCE - 1);
    }
    InnerOptimizer.propose(kind, learningRate, steps + 1, gradient, ones, firstMoment,
        secondMoment, delta, nextFirstMoment, nextSecondMoment, wantDerivative, false);
    return training.terms;
  }

  /** ∇θ (μ part, then ρ) of the loss whose gradient in the sampled logits is given. */
  private void backward(double[] outputGradient, double[] out) {
    mlp.backward(mu, sigma2, training.buffers, training.rows, outputGradient, gradMu,
        gradSigma2);
    System.arraycopy(gradMu, 0, out, 0, parameters);
    for (int k = 0; k < parameters; k++) {
      out[parameters + k] = gradSigma2[k] * 2 * sigma2[k]; // ∂σ²/∂ρ = 2σ²
    }
  }

  /** ⟨u, Jᵀ·direction⟩: one backward pass of an output direction. */
  private double directional(double[] direction) {
    backward(direction, along);
    return Rows.dot(u, along, u.length);
  }

  /**
   * L_val with the means μ' = μ − Δ_μ on the validation batch and, when {@code gradientOut} is
   * given, its gradient there (zero on ρ).
   */
  private double validationAtVirtualPoint(Split batch, double[] gradientOut) {
    for (int k = 0; k < parameters; k++) {
      virtualMu[k] = mu[k] - delta[k];
    }
    int rows = batch.size();
    validation = fit(validation, rows);
    validation.read(batch.features(), batch.labels(), null);
    mlp.meanForward(virtualMu, validation.buffers, rows);
    double[] outputGradient = gradientOut == null ? null : validation.terms.outputGradient();
    double value = Softmax.crossEntropy(validation.labels, validation.buffers.logits(), rows,
        classes, outputGradient, p, logP);
    if (gradientOut != null) {
      mlp.meanBackward(virtualMu, validation.buffers, rows, outputGradient, gradMu);
      System.arraycopy(gradMu, 0, gradientOut, 0, parameters);
      Arrays.fill(gradientOut, parameters, 2 * parameters, 0.0);
    }
    return value;
  }

  private StepOutcome outcome(DistillationLoss.Rows terms, double lambdaC, double kl) {
    return new StepOutcome(terms.total() + lambdaC * kl / trainingSize, terms.crossEntropy(),
        terms.distillation(), Optional.empty());
  }

  /** Takes the proposed step: moves θ, advances the state, writes μ to the network. */
  private void apply() {
    for (int k = 0; k < parameters; k++) {
      mu[k] -= delta[k];
      rho[k] -= delta[parameters + k];
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
    double[] w = new double[parameters];
    toNetworkLayout(mu, w);
    if (scratch.length < parameters) {
      scratch = new float[parameters];
    }
    HostArrays.write(w, network.params(), scratch);
  }

  /** The noise of the forward before step {@code steps + 1}: fixed by the seed and the step. */
  private SplittableRandom noise() {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + steps);
  }

  /** DL4J's flat layout (W column-major per layer, then b) into μ's row-major one. */
  private void fromNetworkLayout(double[] w, double[] into) {
    relayout(w, into, true);
  }

  /** μ (row-major) into DL4J's flat layout. */
  private void toNetworkLayout(double[] from, double[] w) {
    relayout(from, w, false);
  }

  private void relayout(double[] from, double[] to, boolean columnToRow) {
    for (int l = 0; l < mlp.layers(); l++) {
      int nIn = mlp.inputWidth(l);
      int nOut = mlp.outputWidth(l);
      int offset = mlp.weightOffset(l);
      for (int i = 0; i < nIn; i++) {
        for (int j = 0; j < nOut; j++) {
          int row = offset + i * nOut + j;
          int column = offset + j * nIn + i;
          if (columnToRow) {
            to[row] = from[column];
          } else {
            to[column] = from[row];
          }
        }
      }
      int bias = offset + nIn * nOut;
      System.arraycopy(from, bias, to, bias, nOut);
    }
  }

  private Pass fit(Pass pass, int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("a batch needs at least one example, got " + rows);
    }
    return pass != null && pass.buffers.capacity() >= rows ? pass : new Pass(rows);
  }




  /**
   * One hypergradient step's numbers, before the chain rule to b.
   *
   * @param dLambdaC dL_val/dλ_c
   */
  record HyperStep(StepOutcome outcome, double dLambda1, double dLambda2, double dTemperature,
      double dLambdaC, double validationLoss, double validationGradientNormSquared) {}

  /** Buffers of one batch: its inputs, labels, teacher logits, activations and loss terms. */
  private final class Pass {
    final VariationalMlp.Buffers buffers;
    final double[] labels;
    final double[] teacherLogits;
    final DistillationLoss.Rows terms;
    int rows;

    Pass(int capacity) {
      buffers = mlp.buffers(capacity);
      labels = new double[capacity * classes];
      teacherLogits = new double[capacity * classes];
      terms = new DistillationLoss.Rows(capacity, classes);
      int widest = capacity * Math.max(stack.inputWidth(), classes);
      if (scratch.length < widest) {
        scratch = new float[widest];
      }
    }

    void read(INDArray features, INDArray labelArray, INDArray teacher) {
      int n = Math.toIntExact(features.size(0));
      if (n > buffers.capacity() || features.length() != (long) n * stack.inputWidth()) {
        throw new IllegalArgumentException("features have shape "
            + Arrays.toString(features.shape()) + ", the student expects [" + n + ", "
            + stack.inputWidth() + "]");
      }
      HostArrays.read(features, buffers.input(), scratch);
      HostArrays.read(labelArray, labels, scratch);
      if (teacher != null) {
        HostArrays.read(teacher, teacherLogits, scratch);
      }
      rows = n;
    }
  }
}
