package io.distilflux.trainer.distill;

import io.distilflux.trainer.speed.NativeOpsStep;

import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.RunConfig.UnrolledDerivative;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.complexity.ComplexityHyperGradient;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.distill.StudentComputation.Pass;
import java.util.Optional;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One student and its optimizer: distillation steps, one-step hypergradients and evaluation.
 *
 * <p>Training-mode forwards (batch-norm on batch statistics) are used for the step, for the
 * validation loss at the virtual point w' and for the Jacobian-vector product, so that the
 * hypergradient is the exact derivative of the quantity {@link #lookaheadValidationLoss}
 * returns. {@link #evaluate} uses inference mode (running statistics).
 *
 * <p>Hypergradient (docs/method.md §2, eq. 11): with g = ∇w L_train(w, λ), the real update
 * w' = w − Δ(g), v = ∇w L_val(w') and u = (∂Δ/∂g)ᵀ v ({@link InnerOptimizer#sensitivity}),
 * dL_val/dλ1 = −⟨Ju, δ_CE⟩, dL_val/dλ2 = −⟨Ju, κ δ_KD⟩, dL_val/dT = −λ2 ⟨Ju, ∂T(κ δ_KD)⟩, then
 * the chain rule to b. Ju is exact where the computation has a forward mode (the native-ops
 * student and all-dense students: one tangent pass through the training forward's kept
 * activations, about one forward), else a central difference of the logits along u (2 forwards;
 * docs/method.md §2 counts such a hypergradient step as 8/3 of a plain step). In float32 the exact
 * tangent matters beyond speed: Adam's u is huge on parameters with a near-zero gradient, and a
 * difference along it can flip ReLUs. Not thread-safe.
 *
 * <p>A student made of plain dense layers (logistic regression, the MNIST MLPs) is stepped as a
 * whole by the dense engine on Java arrays, with the same arithmetic in double precision, its
 * matrix products in Java loops when small (see {@code DenseEngine.MAX_WEIGHTS}) and through
 * double-precision BLAS gemms otherwise; the network's parameters are read at each step and
 * written back after it. Otherwise
 * the training-mode passes run through hand-written libnd4j ops ({@code speed.NativeOpsStep})
 * when the student has the cifar-very-tiny structure and through DL4J's layers otherwise; see
 * {@link #computationPath()}; evaluation (inference mode) likewise.
 *
 * <p>A trainer made by {@link #variational} steps a variational dense student instead
 * (docs/complexity.md §4): the loss adds λ_c·KL(q‖p)/N, λ_c coming with each step among the
 * run's extra meta-parameters, and the hypergradient also covers λ_c's coordinate.
 */
public final class DistillationTrainer {

  private static final Logger LOG = LoggerFactory.getLogger(DistillationTrainer.class);
  private static final int EVALUATION_BATCH = 512;

  private final MultiLayerNetwork student;
  private final DistillationLoss loss;
  private final OptimizerKind kind;
  private final double learningRate;
  private final UnrolledDerivative unrolled;
  private TrainableMask mask;
  private InnerOptimizer optimizer;
  private final double differenceScale;
  private final StudentComputation computation;
  /** The whole step on Java arrays for plain dense students; null for the others. */
  private DenseEngine engine;
  /** The step of a variational student; null for the others. */
  private final VariationalEngine variational;
  /** The step of a supernet student; null for the others. */
  private final SupernetEngine supernet;
  /** Training forwards so far, to tell a prepared step from a stale one. */
  private long forwards;

  /**
   * A batch and its training-mode logits from {@link #prepare}, to be finished by one {@code
   * step} or {@code stepWithHyperGradient} before any other forward. The logits are null on the
   * dense engine, which keeps them in its own buffers.
   */
  public record PreparedStep(Batch batch, INDArray logits, long forward) {}

  /**
   * @param student an initialised network whose last layer outputs logits (no OutputLayer)
   * @param kind inner optimizer
   * @param learningRate inner learning rate γ
   * @param temperatureSquared multiply the distillation term by T² (Hinton)
   */
  public DistillationTrainer(
      MultiLayerNetwork student, OptimizerKind kind, double learningRate,
      boolean temperatureSquared) {
    this(student, kind, learningRate, temperatureSquared, NativeOpsStep.defaultThreads());
  }

  /**
   * As the other public constructor, with the threads one step of a native-ops student may use
   * (they change its speed, never its numbers).
   */
  public DistillationTrainer(
      MultiLayerNetwork student, OptimizerKind kind, double learningRate,
      boolean temperatureSquared, int computeThreads) {
    this(student, kind, learningRate, new DistillationLoss(temperatureSquared), computeThreads);
  }

  /**
   * As the other public constructors, with the training loss (its divergence and T² factor)
   * given whole.
   */
  public DistillationTrainer(
      MultiLayerNetwork student, OptimizerKind kind, double learningRate, DistillationLoss loss,
      int computeThreads) {
    this(student, kind, learningRate, loss, UnrolledDerivative.EXACT, computeThreads);
  }

  /**
   * As the other public constructors, with the training loss given whole and the derivative of
   * the virtual step the hypergradient uses (docs/method.md §2).
   */
  public DistillationTrainer(
      MultiLayerNetwork student, OptimizerKind kind, double learningRate, DistillationLoss loss,
      UnrolledDerivative unrolled, int computeThreads) {
    this(student, kind, learningRate, loss,
        network -> StudentComputation.forNetwork(network, computeThreads), true, unrolled, null,
        null);
  }

  /**
   * A trainer of a variational student (docs/complexity.md §4): the student's dense layers hold
   * the means μ of q(w) = Π N(μ, σ² = e^{2ρ}), ρ starts at −3, and every step also weighs
   * KL(q‖p)/N by the extra meta-parameter {@code lambdaC}, whose hypergradient it returns.
   *
   * @param student plain dense layers, ReLU hidden layers and linear logits (a one-line error
   *     otherwise)
   * @param trainingSize N, the size of the student's training set
   * @param seed seed of the reparameterisation noise
   */
  public static DistillationTrainer variational(MultiLayerNetwork student, OptimizerKind kind,
      double learningRate, DistillationLoss loss, UnrolledDerivative unrolled, int trainingSize,
      long seed) {
    return new DistillationTrainer(student, kind, learningRate, loss,
        network -> new Dl4jStudentComputation(network), false, unrolled,
        new VariationalSettings(trainingSize, seed), null);
  }

  /**
   * A trainer of a supernet student (docs/structure.md §7): the weights of {@code net} train on
   * the labels at the structure logits the run's extra meta-parameters carry ({@code logAlpha0…}),
   * whose one-step hypergradient a hypergradient step returns; λ and T do not enter its loss.
   *
   * @param student a placeholder network the run keeps for its bookkeeping; the supernet's own
   *     weights are the ones trained and evaluated
   * @param seed seed of the weights' initialisation and of the Gumbel noise
   * @param searchSteps steps of the search; at the next multiple of {@code miniEpoch} the run
   *     {@link #chooseStructure chooses} the structure and trains the discrete student on
   * @param miniEpoch E, steps per mini-epoch
   */
  public static DistillationTrainer supernet(MultiLayerNetwork student,
      io.distilflux.trainer.structure.Supernet net, double learningRate, DistillationLoss loss,
      long seed, long searchSteps, int miniEpoch) {
    return new DistillationTrainer(student, OptimizerKind.ADAM, learningRate, loss,
        network -> new Dl4jStudentComputation(network), false, UnrolledDerivative.EXACT, null,
        new SupernetEngine(net, learningRate, seed, searchSteps, miniEpoch));
  }

  /**
   * As the public constructor, with the way the student is computed chosen by the caller (never
   * the dense engine).
   */
  DistillationTrainer(
      MultiLayerNetwork student, OptimizerKind kind, double learningRate,
      boolean temperatureSquared,
      java.util.function.Function<MultiLayerNetwork, StudentComputation> computationChoice) {
    this(student, kind, learningRate, new DistillationLoss(temperatureSquared), computationChoice,
        false, UnrolledDerivative.EXACT, null, null);
  }

  /**
   * As the public constructor, with the training loss given whole and the way the student is
   * computed chosen by the caller (never the dense engine).
   */
  DistillationTrainer(
      MultiLayerNetwork student, OptimizerKind kind, double learningRate, DistillationLoss loss,
      java.util.function.Function<MultiLayerNetwork, StudentComputation> computationChoice) {
    this(student, kind, learningRate, loss, computationChoice, false, UnrolledDerivative.EXACT,
        null, null);
  }

  /**
   * As the public constructor, with the training loss, the unrolled derivative and the way the
   * student is computed chosen by the caller (never the dense engine).
   */
  DistillationTrainer(
      MultiLayerNetwork student, OptimizerKind kind, double learningRate, DistillationLoss loss,
      UnrolledDerivative unrolled,
      java.util.function.Function<MultiLayerNetwork, StudentComputation> computationChoice) {
    this(student, kind, learningRate, loss, computationChoice, false, unrolled, null, null);
  }

  private DistillationTrainer(
      MultiLayerNetwork student, OptimizerKind kind, double learningRate, DistillationLoss loss,
      java.util.function.Function<MultiLayerNetwork, StudentComputation> computationChoice,
      boolean denseEngine, UnrolledDerivative unrolled, VariationalSettings variationalSettings,
      SupernetEngine supernet) {
    this.supernet = supernet;
    this.student = student;
    if (student.params() == null) {
      throw new IllegalArgumentException("student network must be initialised (call init())");
    }
    this.computation = computationChoice.apply(student);
    this.loss = java.util.Objects.requireNonNull(loss, "loss");
    this.kind = kind;
    this.learningRate = learningRate;
    this.unrolled = unrolled;
    this.mask = TrainableMask.of(student);
    this.optimizer = new InnerOptimizer(kind, learningRate, mask, unrolled);
    this.variational = variationalSettings == null ? null
        : VariationalEngine.forNetwork(student, kind, unrolled, learningRate, loss,
            variationalSettings.trainingSize(), variationalSettings.seed());
    this.engine = denseEngine && variational == null && supernet == null
        ? DenseEngine.forNetwork(student, kind, unrolled, learningRate, mask, loss).orElse(null)
        : null;
    // cube root of the machine epsilon balances truncation and rounding of a central difference
    double machineEpsilon = student.params().dataType() == DataType.DOUBLE ? 0x1p-52 : 0x1p-23;
    this.differenceScale = Math.cbrt(machineEpsilon);
  }

  /** The student network (parameters are updated in place). */
  public MultiLayerNetwork student() {
    return student;
  }

  /**
   * Which code computes the steps: {@code dense-engine} (the whole step on Java arrays, chosen
   * automatically for small students made of plain dense layers), {@code dense-gemm} (the same
   * with its matrix products through BLAS, for larger ones), {@code native-ops} (hand-written
   * libnd4j ops, chosen automatically for the cifar-very-tiny structure) or {@code dl4j-layers}.
   */
  public String computationPath() {
    if (variational != null) {
      return variational.path();
    }
    if (supernet != null) {
      return "supernet";
    }
    return engine != null ? engine.path() : computation.name();
  }

  /** Whether the student is a supernet: its steps need the structure logits. */
  public boolean isSupernet() {
    return supernet != null;
  }

  /**
   * The argmax block per edge of the structure logits the supernet student's latest step used.
   *
   * @throws UnsupportedOperationException for a student that is not a supernet
   */
  public int[] structureChoice() {
    if (supernet == null) {
      throw new UnsupportedOperationException("the student is not a supernet");
    }
    return supernet.choice(supernet.lastLogAlpha());
  }

  /** Whether a supernet student's structure is to be chosen before step {@code step}. */
  public boolean structureDue(long step) {
    return supernet != null && supernet.structureDue(step);
  }

  /**
   * Chooses a supernet student's structure (the argmax of the latest logits per edge) and
   * switches to the discrete student, distilled from the supernet at λ = {@code values}.
   *
   * @param lastStep the last step trained as a supernet
   * @return the event to publish
   */
  public io.distilflux.pipeline.event.StructureChosen chooseStructure(String runId,
      long lastStep, MetaValues values) {
    if (supernet == null) {
      throw new UnsupportedOperationException("the student is not a supernet");
    }
    return supernet.choose(runId, lastStep, values);
  }

  /** Whether the student is variational: its steps need λ_c ({@code lambdaC}). */
  public boolean isVariational() {
    return variational != null;
  }

  /**
   * A copy of a variational student's θ = (μ, ρ) now, μ first, each in {@link
   * io.distilflux.trainer.complexity.VariationalMlp}'s layout of the student's widths.
   *
   * @throws UnsupportedOperationException for a student that is not variational
   */
  public double[] variationalParameters() {
    if (variational == null) {
      throw new UnsupportedOperationException("the student is not variational");
    }
    return variational.parameters();
  }

  /**
   * The student's diagnostics now, by their names in a training step's extras: for a variational
   * student KL(q‖p) ({@link TrainingStep#KL}) and, when {@code stabilityTest} is given, S on its
   * first rows ({@link TrainingStep#STABILITY}); for a supernet student before the switch, the
   * Gumbel-softmax temperature its latest step used ({@link TrainingStep#GUMBEL_TEMPERATURE});
   * empty for other students.
   *
   * @param stabilityTest the test split to measure S on, or null for none
   */
  public java.util.Map<String, Double> diagnostics(Split stabilityTest) {
    if (supernet != null && !supernet.switched()) {
      return java.util.Map.of(TrainingStep.GUMBEL_TEMPERATURE, supernet.temperature());
    }
    if (variational == null) {
      return java.util.Map.of();
    }
    java.util.Map<String, Double> out = new java.util.TreeMap<>();
    out.put(TrainingStep.KL, variational.kl());
    if (stabilityTest != null) {
      out.put(TrainingStep.STABILITY, variational.stability(stabilityTest));
    }
    return out;
  }

  /** KL(q‖p) of a variational student's weights now; NaN for other students. */
  public double complexity() {
    return variational != null ? variational.kl() : Double.NaN;
  }

  /**
   * Why {@link #computationPath()} computes this student: which structure the fast engines
   * recognised, or why the student falls back to DL4J's layers and a central-difference tangent.
   */
  public String computationReason() {
    if (supernet != null) {
      return "a supernet student: Gumbel-softmax mixture of dense blocks on Java arrays,"
          + " structure logits from the run's extra meta-parameters";
    }
    if (variational != null) {
      return "a variational student: sampled forward with local reparameterisation, KL weighed"
          + " by lambdaC, means for validation and evaluation";
    }
    if (engine != null || io.distilflux.trainer.model.DenseStack.ofStudent(student).isPresent()) {
      return "plain dense layers: the dense engine's step and exact tangent";
    }
    return io.distilflux.trainer.speed.NativeOpsStep.unsupportedReason(student)
        .map(why -> "DL4J's layers and a central-difference tangent, since " + why)
        .orElse("conv, batch-norm, ReLU, max-pool blocks: the native ops' step and exact tangent");
  }

  /** The training loss: its divergence and whether it carries T². */
  public DistillationLoss loss() {
    return loss;
  }

  /** Which parameters are trained. */
  public TrainableMask mask() {
    return mask;
  }

  /**
   * From now on, trains only the entries of {@code net.params()} where {@code alpha} is 1
   * (docs/structure.md §3): frozen entries get no step, and the hypergradient's virtual step
   * and sensitivity leave them out too (P ⊙ α). The optimizer's state carries over; a later
   * call replaces the freezing, and all ones unfreeze everything.
   *
   * @param alpha one entry per parameter, each 0 (frozen) or 1 (trained)
   */
  public void freeze(double[] alpha) {
    requireNotVariational("freezing");
    OptimizerState state = optimizerState();
    TrainableMask frozen = TrainableMask.of(student).freezing(alpha);
    InnerOptimizer narrowed = new InnerOptimizer(kind, learningRate, frozen, unrolled);
    narrowed.restore(state);
    if (engine != null) {
      DenseEngine narrowedEngine = DenseEngine.forNetwork(student, kind, unrolled, learningRate,
          frozen, loss).orElseThrow();
      narrowedEngine.restore(state);
      engine = narrowedEngine;
    }
    mask = frozen;
    optimizer = narrowed;
  }

  /** Copy of the optimizer state, for a checkpoint. */
  public OptimizerState optimizerState() {
    requireNotVariational("checkpoints");
    return engine != null ? engine.state() : optimizer.state();
  }

  /** Restores an optimizer state taken by {@link #optimizerState()}. */
  public void restoreOptimizerState(OptimizerState state) {
    requireNotVariational("checkpoints");
    if (engine != null) {
      engine.restore(state);
    } else {
      optimizer.restore(state);
    }
  }

  /**
   * The part of a step that does not depend on λ: the training-mode forward of the batch. A run
   * computes it before it waits for the step's λ, so that the wait and the forward overlap.
   * Valid until the next {@code prepare} or step.
   */
  public PreparedStep prepare(Batch batch) {
    if (supernet != null) {
      supernet.prepare(batch);
      return new PreparedStep(batch, null, ++forwards);
    }
    if (variational != null) {
      variational.prepare(batch);
      return new PreparedStep(batch, null, ++forwards);
    }
    if (engine != null) {
      engine.prepare(batch);
      return new PreparedStep(batch, null, ++forwards);
    }
    INDArray logits = computation.trainingLogits(Pass.TRAINING, batch.features());
    return new PreparedStep(batch, logits, ++forwards);
  }

  /** A plain training step at meta-parameters b. */
  public StepOutcome step(Batch batch, Unconstrained b) {
    return step(prepare(batch), b.toValues());
  }

  /**
   * A plain training step at explicit λ, for modes that pin λ at the edge of its range, which no
   * finite b reaches (no distillation: λ = (1, 0, ·)).
   */
  public StepOutcome step(Batch batch, MetaValues values) {
    return step(prepare(batch), values);
  }

  /** A plain training step at explicit λ from a {@link #prepare prepared} forward. */
  public StepOutcome step(PreparedStep prepared, MetaValues values) {
    return step(prepared, values, java.util.Map.of());
  }

  /**
   * A plain training step at explicit λ and the run's extra meta-parameters (natural values by
   * name; a variational student needs {@code lambdaC}, other students ignore them).
   */
  public StepOutcome step(PreparedStep prepared, MetaValues values,
      java.util.Map<String, Double> extraValues) {
    if (supernet != null) {
      consume(prepared);
      return supernet.step(supernet.logAlpha(extraValues));
    }
    if (variational != null) {
      consume(prepared);
      return variational.step(values, lambdaC(extraValues));
    }
    if (engine != null) {
      consume(prepared);
      return engine.step(values);
    }
    DistillationLoss.Terms terms = trainTerms(prepared, values);
    INDArray gradient = backward(Pass.TRAINING, terms.outputGradient());
    optimizer.apply(student.params(), optimizer.propose(gradient));
    return new StepOutcome(terms.total(), terms.crossEntropy(), terms.distillation(),
        Optional.empty());
  }

  /**
   * A training step that first computes the hypergradient dL_val(U(w, b))/db of this very step
   * on {@code validationBatch}, then takes the step.
   */
  public StepOutcome stepWithHyperGradient(Batch batch, Split validationBatch, Unconstrained b) {
    return stepWithHyperGradient(prepare(batch), validationBatch, b);
  }

  /** {@link #stepWithHyperGradient(Batch, Split, Unconstrained)} from a prepared forward. */
  public StepOutcome stepWithHyperGradient(
      PreparedStep prepared, Split validationBatch, Unconstrained b) {
    return stepWithHyperGradient(prepared, validationBatch, b, java.util.Map.of());
  }

  /**
   * As {@link #stepWithHyperGradient(PreparedStep, Split, Unconstrained)}, with the run's extra
   * coordinates (by name; a variational student needs {@code lambdaC}, whose derivative the
   * result then carries in {@link HyperGradientResult#extra()}).
   */
  public StepOutcome stepWithHyperGradient(PreparedStep prepared, Split validationBatch,
      Unconstrained b, java.util.Map<String, Double> extraB) {
    if (supernet != null) {
      consume(prepared);
      SupernetEngine.HyperStep step = supernet.stepWithHyperGradient(validationBatch,
          supernet.logAlpha(extraB));
      // λ and T do not enter the supernet's loss: their hypergradients are zero
      HyperGradientResult plain = hyperGradient(b, 0, 0, 0, step.validationLoss(),
          step.validationGradientNormSquared());
      java.util.Map<String, Double> extra = new java.util.TreeMap<>();
      boolean finite = plain.finite();
      for (int i = 0; i < step.dLogAlpha().length; i++) {
        extra.put(ExtraParameter.structureLogit(i).jsonName(), step.dLogAlpha()[i]);
        finite &= Double.isFinite(step.dLogAlpha()[i]);
      }
      StepOutcome outcome = step.outcome();
      return new StepOutcome(outcome.trainLoss(), outcome.ceLoss(), outcome.kdLoss(),
          Optional.of(new HyperGradientResult(plain.gradient(), plain.validationLoss(), finite,
              plain.validationGradientNormSquared(), extra)));
    }
    if (variational != null) {
      consume(prepared);
      double b4 = lambdaCCoordinate(extraB);
      VariationalEngine.HyperStep step = variational.stepWithHyperGradient(validationBatch,
          b.toValues(), ExtraParameter.COMPLEXITY.value(b4));
      StepOutcome outcome = step.outcome();
      HyperGradientResult plain = hyperGradient(b, step.dLambda1(), step.dLambda2(),
          step.dTemperature(), step.validationLoss(), step.validationGradientNormSquared());
      double dB4 = ComplexityHyperGradient.withRespectToCoordinate(step.dLambdaC(), b4);
      if (!Double.isFinite(dB4)) {
        LOG.warn("non-finite hypergradient of lambdaC {} at b4 = {}", dB4, b4);
      }
      return new StepOutcome(outcome.trainLoss(), outcome.ceLoss(), outcome.kdLoss(),
          Optional.of(new HyperGradientResult(plain.gradient(), plain.validationLoss(),
              plain.finite() && Double.isFinite(dB4), plain.validationGradientNormSquared(),
              java.util.Map.of(ExtraParameter.COMPLEXITY.jsonName(), dB4))));
    }
    if (engine != null) {
      consume(prepared);
      DenseEngine.HyperStep step = engine.stepWithHyperGradient(validationBatch, b.toValues());
      StepOutcome outcome = step.outcome();
      return new StepOutcome(outcome.trainLoss(), outcome.ceLoss(), outcome.kdLoss(),
          Optional.of(hyperGradient(b, step.dLambda1(), step.dLambda2(), step.dTemperature(),
              step.validationLoss(), step.validationGradientNormSquared())));
    }
    Batch batch = prepared.batch();
    MetaValues values = b.toValues();
    DistillationLoss.Terms terms = trainTerms(prepared, values);
    INDArray gradient = backward(Pass.TRAINING, terms.outputGradient());
    InnerOptimizer.ProposedStep proposed = optimizer.propose(gradient);
    INDArray params = student.params();
    INDArray start = params.dup();

    optimizer.applyVirtual(params, proposed);
    INDArray validationLogits =
        computation.trainingLogits(Pass.VALIDATION, validationBatch.features());
    requireLabels("validation", validationBatch.labels(), validationLogits);
    Softmax.CrossEntropy validation =
        Softmax.crossEntropy(validationBatch.labels(), validationLogits);
    double validationLoss = validation.loss();
    INDArray validationGradient = backward(Pass.VALIDATION, validation.gradient());
    double validationNorm = validationGradient.norm2Number().doubleValue();
    params.assign(start);

    INDArray u = optimizer.sensitivity(proposed, validationGradient);
    INDArray ju = jacobianVectorProduct(batch.features(), start, u);
    double[] juValues = Softmax.values(ju);
    HyperGradientResult result = hyperGradient(b, -dot(juValues, terms.lambda1Direction()),
        -dot(juValues, terms.lambda2Direction()), -dot(juValues, terms.temperatureDirection()),
        validationLoss, validationNorm * validationNorm);
    optimizer.apply(params, proposed);
    return new StepOutcome(terms.total(), terms.crossEntropy(), terms.distillation(),
        Optional.of(result));
  }

  /** dL_val/db from dL_val/dλ by the chain rule, flagged (and logged) when not finite. */
  private static HyperGradientResult hyperGradient(Unconstrained b, double dLambda1,
      double dLambda2, double dTemperature, double validationLoss,
      double validationNormSquared) {
    Unconstrained jacobian = b.jacobianDiagonal();
    Unconstrained hyperGradient = new Unconstrained(
        dLambda1 * jacobian.b1(), dLambda2 * jacobian.b2(), dTemperature * jacobian.b3());
    boolean finite = hyperGradient.isFinite() && Double.isFinite(validationLoss);
    if (!finite) {
      LOG.warn("non-finite hypergradient {} (validation loss {}) at b = {}",
          hyperGradient, validationLoss, b);
    }
    return new HyperGradientResult(hyperGradient, validationLoss, finite,
        validationNormSquared);
  }

  /**
   * L_val(U(w, b)) on the validation batch: the loss after the step this trainer would take,
   * with w and the optimizer state left unchanged. It is the function whose derivative
   * {@link #stepWithHyperGradient} returns; used by gradient checks.
   */
  public double lookaheadValidationLoss(Batch batch, Split validationBatch, Unconstrained b) {
    return lookaheadValidationLoss(batch, validationBatch, b, java.util.Map.of());
  }

  /** As the other, with the run's extra coordinates by name (see {@link #step}). */
  public double lookaheadValidationLoss(Batch batch, Split validationBatch, Unconstrained b,
      java.util.Map<String, Double> extraB) {
    requireNotSupernet("lookahead losses");
    if (variational != null) {
      consume(prepare(batch));
      return variational.lookaheadValidationLoss(validationBatch, b.toValues(),
          ExtraParameter.COMPLEXITY.value(lambdaCCoordinate(extraB)));
    }
    if (engine != null) {
      consume(prepare(batch));
      return engine.lookaheadValidationLoss(validationBatch, b.toValues());
    }
    DistillationLoss.Terms terms = trainTerms(prepare(batch), b.toValues());
    INDArray gradient = backward(Pass.TRAINING, terms.outputGradient());
    InnerOptimizer.ProposedStep proposed = optimizer.propose(gradient);
    INDArray params = student.params();
    INDArray start = params.dup();
    optimizer.applyVirtual(params, proposed);
    INDArray logits = forwardOnly(validationBatch.features(), true);
    params.assign(start);
    return Softmax.meanCrossEntropy(validationBatch.labels(), logits);
  }

  /** The training gradient g(w, b) on a batch at the current w, for gradient checks. */
  INDArray trainingGradient(Batch batch, Unconstrained b) {
    requireDl4jPath();
    DistillationLoss.Terms terms = trainTerms(prepare(batch), b.toValues());
    return backward(Pass.TRAINING, terms.outputGradient()).dup();
  }

  /** The virtual point w − Δ(g(w, b)) the optimizer would step to, for gradient checks. */
  INDArray virtualPoint(Batch batch, Unconstrained b) {
    INDArray gradient = trainingGradient(batch, b);
    INDArray params = student.params().dup();
    optimizer.applyVirtual(params, optimizer.propose(gradient));
    return params;
  }

  /** L_val at the given parameters (training-mode forward), w left unchanged; for checks. */
  double validationLossAt(INDArray params, Split validationBatch) {
    requireDl4jPath();
    INDArray start = student.params().dup();
    student.params().assign(params);
    INDArray logits = forwardOnly(validationBatch.features(), true);
    student.params().assign(start);
    return Softmax.meanCrossEntropy(validationBatch.labels(), logits);
  }

  private void requireNotSupernet(String what) {
    if (supernet != null) {
      throw new UnsupportedOperationException(what + ": not supported for a supernet student");
    }
  }

  private void requireNotVariational(String what) {
    requireNotSupernet(what);
    if (variational != null) {
      throw new UnsupportedOperationException(what + ": not supported for a variational student");
    }
  }

  /** λ_c from a step's natural extra values; a one-line error when it is missing. */
  private static double lambdaC(java.util.Map<String, Double> extraValues) {
    Double value = extraValues.get(ExtraParameter.COMPLEXITY.jsonName());
    if (value == null) {
      throw new IllegalArgumentException("a variational student's step needs "
          + ExtraParameter.COMPLEXITY.jsonName() + " among the run's extra meta-parameters");
    }
    return value;
  }

  /** b4 from a step's extra coordinates; a one-line error when it is missing. */
  private static double lambdaCCoordinate(java.util.Map<String, Double> extraB) {
    Double b4 = extraB.get(ExtraParameter.COMPLEXITY.jsonName());
    if (b4 == null) {
      throw new IllegalArgumentException("a variational student's step needs "
          + ExtraParameter.COMPLEXITY.jsonName() + " among the run's extra meta-parameters");
    }
    return b4;
  }

  private void requireDl4jPath() {
    requireNotVariational("gradient checks of DL4J's path");
    if (engine != null) {
      throw new IllegalStateException("gradient checks read DL4J's path, not the dense engine");
    }
  }

  /** Accuracy and mean CE on a split, in inference mode, in batches to bound memory. */
  public EvaluationResult evaluate(Split split) {
    long n = split.size();
    if (n == 0) {
      throw new IllegalArgumentException("cannot evaluate on an empty split");
    }
    if (supernet != null) {
      return supernet.evaluate(split, supernet.lastLogAlpha());
    }
    if (variational != null) {
      return variational.evaluate(split);
    }
    if (engine != null) {
      return engine.evaluate(split);
    }
    long correct = 0;
    double lossSum = 0;
    for (long from = 0; from < n; from += EVALUATION_BATCH) {
      long to = Math.min(n, from + EVALUATION_BATCH);
      INDArray features = rows(split.features(), from, to);
      INDArray labels = rows(split.labels(), from, to);
      INDArray logits = forwardOnly(features, false);
      requireLabels("evaluation", labels, logits);
      lossSum += Softmax.meanCrossEntropy(labels, logits) * (to - from);
      INDArray predicted = logits.argMax(1);
      INDArray truth = labels.argMax(1);
      correct += predicted.eq(truth).castTo(DataType.INT64).sumNumber().longValue();
    }
    return new EvaluationResult((double) correct / n, lossSum / n);
  }

  private DistillationLoss.Terms trainTerms(PreparedStep prepared, MetaValues values) {
    consume(prepared);
    Batch batch = prepared.batch();
    INDArray logits = prepared.logits();
    return loss.evaluate(logits, batch.labels(), batch.teacherLogits(), values);
  }

  /** Checks that {@code prepared} is the latest forward and marks it used. */
  private void consume(PreparedStep prepared) {
    if (prepared.forward() != forwards) {
      throw new IllegalStateException("the prepared step is stale: another forward ran since");
    }
    // a step consumes its forward: the backward overwrites what it kept
    forwards++;
  }

  /**
   * Ju of the training batch's logits at w = {@code start} (the current parameters): exact from
   * the computation's forward mode where it has one, else (z(w + εu) − z(w − εu)) / 2ε with w
   * restored afterwards.
   */
  private INDArray jacobianVectorProduct(INDArray features, INDArray start, INDArray u) {
    double uNorm = u.norm2Number().doubleValue();
    if (!Double.isFinite(uNorm)) {
      // NaN parameters need not reach the logits (ReLU and max-pool may drop them), so a
      // non-finite direction is reported as such instead of being pushed through the network
      return forwardOnly(features, true).muli(Double.NaN);
    }
    if (uNorm == 0) {
      return forwardOnly(features, true).mul(0);
    }
    Optional<INDArray> exact = computation.tangent(u);
    if (exact.isPresent()) {
      return exact.get();
    }
    double epsilon = differenceScale * (1 + start.norm2Number().doubleValue()) / uNorm;
    INDArray params = student.params();
    INDArray shift = u.mul(epsilon);
    params.addi(shift);
    INDArray plus = forwardOnly(features, true);
    params.assign(start).subi(shift);
    INDArray minus = forwardOnly(features, true);
    params.assign(start);
    return plus.subi(minus).divi(2 * epsilon);
  }

  /** ⟨a, b⟩ over all elements, {@code a} already read out in row-major order. */
  private static double dot(double[] a, INDArray b) {
    double[] bValues = Softmax.values(b);
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * bValues[i];
    }
    return sum;
  }

  private INDArray forwardOnly(INDArray features, boolean training) {
    return computation.logits(features, training);
  }

  /** ∇w of the loss whose output gradient is given, shaped like the parameters. */
  private INDArray backward(Pass pass, INDArray outputGradient) {
    return computation.backward(pass, outputGradient);
  }

  /** What a variational student needs beyond the plain one's settings. */
  private record VariationalSettings(int trainingSize, long seed) {}

  private static INDArray rows(INDArray array, long from, long to) {
    if (from == 0 && to == array.size(0)) {
      return array;
    }
    org.nd4j.linalg.indexing.INDArrayIndex[] index = new org.nd4j.linalg.indexing.INDArrayIndex[array.rank()];
    index[0] = NDArrayIndex.interval(from, to);
    for (int d = 1; d < index.length; d++) {
      index[d] = NDArrayIndex.all();
    }
    return array.get(index);
  }

  private static void requireLabels(String what, INDArray labels, INDArray logits) {
    if (!java.util.Arrays.equals(labels.shape(), logits.shape())) {
      throw new IllegalArgumentException(
          what + " labels have shape " + java.util.Arrays.toString(labels.shape())
              + " but the student logits have " + java.util.Arrays.toString(logits.shape()));
    }
  }
}
