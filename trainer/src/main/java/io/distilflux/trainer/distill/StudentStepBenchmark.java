package io.distilflux.trainer.distill;

import io.distilflux.pipeline.bench.Stats;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.DistillationData;
import io.distilflux.trainer.data.MiniBatches;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.data.SyntheticData;
import io.distilflux.trainer.data.ValidationSampler;
import io.distilflux.trainer.teacher.TeacherArchitectures;
import io.distilflux.trainer.teacher.TeacherTrainer;
import io.distilflux.trainer.teacher.TeacherTraining;
import io.distilflux.trainer.model.StudentArchitectures;
import io.distilflux.trainer.speed.NativeOpsStep;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Times a plain distillation step and a hypergradient step of a student on random input and
 * prints medians, 90th percentiles and their ratio (target: hypergradient/plain ≤ 2.7).
 *
 * <p>Usage: {@code StudentStepBenchmark [--student NAME] [--batch N] [--warmup N] [--repeats N]
 * [--optimizer SGD|ADAM] [--threads N] [--path auto|dl4j]}; defaults cifar-very-tiny, 128, 20,
 * 50, ADAM, one thread per core up to the native-ops step's part count, the trainer's own choice
 * of path ({@code dl4j}: DL4J's layers whatever the student). Images are 3×32×32.
 *
 * <p>{@code --synthetic N} instead times the paper's synthetic experiment as a run computes it
 * (seed 1, logistic regression, full batch of 15 through {@code MiniBatches}, the validation set
 * through {@code ValidationSampler}, a run's inner optimizer, SGD at 0.1, unless given): N
 * plain steps, then N hypergradient steps, each timed from the batch's gather to the end of the
 * step as a run's step events are, after {@code --warmup} steps of each; it prints the median µs
 * per step. {@code --teacher-seeds K} then also trains the synthetic teacher (10 000 full-batch
 * Adam steps, or {@code --teacher-steps}) for seeds 1…K and prints the seconds per seed.
 */
public final class StudentStepBenchmark {

  private StudentStepBenchmark() {}

  /** Runs the benchmark; see the class comment for the flags. */
  public static void main(String[] args) {
    String student = StudentArchitectures.CIFAR_VERY_TINY;
    int batchSize = 128;
    int warmup = 20;
    int repeats = 50;
    OptimizerKind chosen = null;
    int threads = NativeOpsStep.defaultThreads();
    String path = "auto";
    int synthetic = 0;
    int teacherSeeds = 0;
    int teacherSteps = TeacherTraining.synthetic().epochs();
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("flag " + flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--student" -> student = value;
        case "--batch" -> batchSize = positive(flag, value);
        case "--warmup" -> warmup = positive(flag, value);
        case "--repeats" -> repeats = positive(flag, value);
        case "--optimizer" -> chosen = optimizer(value);
        case "--threads" -> threads = positive(flag, value);
        case "--path" -> path = path(value);
        case "--synthetic" -> synthetic = positive(flag, value);
        case "--teacher-seeds" -> teacherSeeds = positive(flag, value);
        case "--teacher-steps" -> teacherSteps = positive(flag, value);
        default -> throw new IllegalArgumentException("unknown flag " + flag);
      }
    }
    if (synthetic > 0) {
      syntheticRun(synthetic, warmup, chosen == null ? OptimizerKind.SGD : chosen, path,
          teacherSeeds, teacherSteps);
      return;
    }
    OptimizerKind kind = chosen == null ? OptimizerKind.ADAM : chosen;
    long[] featureShape = student.equals(StudentArchitectures.LOGREG)
        ? new long[] {3}
        : student.equals(StudentArchitectures.MNIST_MLP_SMALL)
            ? new long[] {784}
            : new long[] {3, 32, 32};
    int classes = student.equals(StudentArchitectures.LOGREG) ? 2 : 10;

    Nd4j.getRandom().setSeed(1);
    MultiLayerNetwork network = StudentArchitectures.withDefaults()
        .create(student, featureShape, classes, 1, DataType.FLOAT);
    DistillationTrainer trainer = path.equals("dl4j")
        ? new DistillationTrainer(network, kind, 1e-3, false, Dl4jStudentComputation::new)
        : new DistillationTrainer(network, kind, 1e-3, false, threads);
    Batch batch = new Batch(random(batchSize, featureShape),
        oneHot(batchSize, classes), Nd4j.randn(DataType.FLOAT, batchSize, classes));
    Split validation = new Split(random(batchSize, featureShape), oneHot(batchSize, classes));
    Unconstrained b = new Unconstrained(0, 0, -1);

    for (int i = 0; i < warmup; i++) {
      trainer.step(batch, b);
      trainer.stepWithHyperGradient(batch, validation, b);
    }
    double[] plain = new double[repeats];
    double[] hyper = new double[repeats];
    double[] plainCpu = new double[repeats];
    double[] hyperCpu = new double[repeats];
    // process CPU time (all threads) is steadier than wall time when other jobs share the cores
    var os = (com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    // interleaved so that load changes on the machine hit both kinds of step alike
    for (int i = 0; i < repeats; i++) {
      long cpu = os.getProcessCpuTime();
      long start = System.nanoTime();
      trainer.step(batch, b);
      plain[i] = (System.nanoTime() - start) / 1e6;
      plainCpu[i] = (os.getProcessCpuTime() - cpu) / 1e6;
      cpu = os.getProcessCpuTime();
      start = System.nanoTime();
      trainer.stepWithHyperGradient(batch, validation, b);
      hyper[i] = (System.nanoTime() - start) / 1e6;
      hyperCpu[i] = (os.getProcessCpuTime() - cpu) / 1e6;
    }
    double plainMedian = Stats.median(plain);
    double hyperMedian = Stats.median(hyper);
    System.out.printf("student %s, batch %d, optimizer %s, warm-up %d, repeats %d, "
            + "OMP_NUM_THREADS=%s, cores %d, compute threads %d (native ops: %d parts)%n",
        student, batchSize, kind, warmup, repeats, System.getenv("OMP_NUM_THREADS"),
        Runtime.getRuntime().availableProcessors(), Math.min(threads, NativeOpsStep.DEFAULT_PARTS),
        NativeOpsStep.DEFAULT_PARTS);
    System.out.printf("computation path: %s%n", trainer.computationPath());
    System.out.printf("parameters: student %d (trained %d), teacher cifar-tiny %d%n",
        network.numParams(), trainer.mask().trainableCount(), cifarTinyTeacher().numParams());
    System.out.printf("plain step:        median %.2f ms, p90 %.2f ms, %.1f steps/s, "
            + "CPU median %.2f ms%n",
        plainMedian, Stats.percentile(plain, 0.9), 1000 / plainMedian,
        Stats.median(plainCpu));
    System.out.printf("hypergradient step: median %.2f ms, p90 %.2f ms, %.1f steps/s, "
            + "CPU median %.2f ms%n",
        hyperMedian, Stats.percentile(hyper, 0.9), 1000 / hyperMedian,
        Stats.median(hyperCpu));
    System.out.printf("ratio hypergradient/plain (medians): %.2f (target <= 2.7)%n",
        hyperMedian / plainMedian);
  }

  /** The synthetic experiment's steps and teachers, timed as a run takes them. */
  private static void syntheticRun(int steps, int warmup, OptimizerKind kind, String path,
      int teacherSeeds, int teacherSteps) {
    SyntheticData.Generated generated = SyntheticData.generate(SyntheticData.Config.paper(), 1);
    DistillationData data = generated.data();
    Split train = data.studentTrain();
    // the student's inputs are what is timed; random teacher logits serve as well as trained ones
    Nd4j.getRandom().setSeed(1);
    INDArray teacherLogits = Nd4j.randn(DataType.FLOAT, train.size(), data.classes());
    MultiLayerNetwork network = StudentArchitectures.withDefaults().create(
        StudentArchitectures.LOGREG, new long[] {train.features().size(1)}, data.classes(), 1,
        DataType.FLOAT);
    double learningRate = kind == OptimizerKind.SGD ? 0.1 : 1e-3;
    DistillationTrainer trainer = path.equals("dl4j")
        ? new DistillationTrainer(network, kind, learningRate, false,
            Dl4jStudentComputation::new)
        : new DistillationTrainer(network, kind, learningRate, false);
    MiniBatches batches = new MiniBatches(train, teacherLogits, train.size(), 1);
    ValidationSampler sampler =
        new ValidationSampler(data.validation(), data.validation().size(), 1);
    Unconstrained b = new Unconstrained(0, 0, -1);
    long[] epoch = {0};
    double[] plain = timeSteps(warmup, steps, () -> trainer.step(
        trainer.prepare(nextBatch(batches, epoch)), b.toValues()));
    double[] hyper = timeSteps(warmup, steps, () -> trainer.stepWithHyperGradient(
        trainer.prepare(nextBatch(batches, epoch)), sampler.draw(epoch[0]), b));
    System.out.printf("synthetic run, seed 1: student logreg (%d parameters), batch %d, "
            + "optimizer %s, path %s, warm-up %d steps, %d steps of each kind%n",
        network.numParams(), train.size(), kind, trainer.computationPath(), warmup, steps);
    System.out.printf("plain step:         median %.1f µs, p90 %.1f µs%n",
        Stats.median(plain), Stats.percentile(plain, 0.9));
    System.out.printf("hypergradient step: median %.1f µs, p90 %.1f µs%n",
        Stats.median(hyper), Stats.percentile(hyper, 0.9));
    if (teacherSeeds > 0) {
      double[] seconds = new double[teacherSeeds];
      TeacherTraining settings = new TeacherTraining(teacherSteps, 0,
          TeacherTraining.synthetic().learningRate());
      for (int seed = 1; seed <= teacherSeeds; seed++) {
        Split teacherTrain = SyntheticData.generate(SyntheticData.Config.paper(), seed)
            .data().teacherTrain();
        long start = System.nanoTime();
        new TeacherTrainer(TeacherArchitectures.withDefaults()).train(teacherTrain,
            data.classes(), TeacherArchitectures.LOGREG, seed, settings);
        seconds[seed - 1] = (System.nanoTime() - start) / 1e9;
      }
      System.out.printf("synthetic teacher (%d full-batch Adam steps): median %.2f s per seed "
              + "(min %.2f, max %.2f, %d seeds; the first includes JIT warm-up)%n",
          teacherSteps, Stats.median(seconds), Stats.min(seconds), Stats.max(seconds),
          teacherSeeds);
    }
  }

  /** The next batch of consecutive epochs, counting epochs in {@code epoch[0]}. */
  private static Batch nextBatch(MiniBatches batches, long[] epoch) {
    return batches.epoch(epoch[0]++).next();
  }

  /** µs of each of {@code steps} calls after {@code warmup} untimed ones. */
  private static double[] timeSteps(int warmup, int steps, Runnable step) {
    for (int i = 0; i < warmup; i++) {
      step.run();
    }
    double[] micros = new double[steps];
    for (int i = 0; i < steps; i++) {
      long start = System.nanoTime();
      step.run();
      micros[i] = (System.nanoTime() - start) / 1e3;
    }
    return micros;
  }

  /** The teacher of method.md §5 for CIFAR: conv 16/32/64 blocks, dense 256→128→10. */
  static MultiLayerNetwork cifarTinyTeacher() {
    NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
        .seed(1).dataType(DataType.FLOAT).list();
    for (int channels : new int[] {16, 32, 64}) {
      list.layer(new ConvolutionLayer.Builder(3, 3).nOut(channels)
              .convolutionMode(ConvolutionMode.Truncate).hasBias(false)
              .activation(Activation.IDENTITY).build())
          .layer(new BatchNormalization.Builder().build())
          .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
          .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
              .kernelSize(2, 2).stride(2, 2).build());
    }
    MultiLayerNetwork teacher = new MultiLayerNetwork(
        list.layer(new DenseLayer.Builder().nOut(128).activation(Activation.RELU).build())
            .layer(new DenseLayer.Builder().nOut(10).activation(Activation.IDENTITY).build())
            .setInputType(InputType.convolutional(32, 32, 3))
            .build());
    teacher.init();
    return teacher;
  }

  private static INDArray random(int batchSize, long[] featureShape) {
    long[] shape = new long[featureShape.length + 1];
    shape[0] = batchSize;
    System.arraycopy(featureShape, 0, shape, 1, featureShape.length);
    return Nd4j.randn(DataType.FLOAT, shape);
  }

  private static INDArray oneHot(int batchSize, int classes) {
    INDArray labels = Nd4j.zeros(DataType.FLOAT, batchSize, classes);
    for (int i = 0; i < batchSize; i++) {
      labels.putScalar(i, i % classes, 1.0);
    }
    return labels;
  }

  private static OptimizerKind optimizer(String value) {
    for (OptimizerKind candidate : OptimizerKind.values()) {
      if (candidate.isInner() && candidate.name().equalsIgnoreCase(value)) {
        return candidate;
      }
    }
    throw new IllegalArgumentException(
        "--optimizer must be one of " + Arrays.toString(Arrays.stream(OptimizerKind.values())
            .filter(OptimizerKind::isInner).toArray()) + ", got '"
            + value + "'");
  }

  private static String path(String value) {
    if (value.equals("auto") || value.equals("dl4j")) {
      return value;
    }
    throw new IllegalArgumentException("--path must be auto or dl4j, got '" + value + "'");
  }

  private static int positive(String flag, String value) {
    try {
      int parsed = Integer.parseInt(value);
      if (parsed > 0) {
        return parsed;
      }
    } catch (NumberFormatException ignored) {
      // reported below with the flag's name
    }
    throw new IllegalArgumentException(flag + " must be a positive integer, got '" + value + "'");
  }
}
