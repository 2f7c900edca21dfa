package io.distilflux.trainer.distill;

import io.distilflux.pipeline.bench.Stats;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
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
 * [--optimizer SGD|ADAM] [--threads N]}; defaults cifar-very-tiny, 128, 20, 50, ADAM, one thread
 * per core up to the native-ops step's part count. Images are 3×32×32.
 */
public final class StudentStepBenchmark {

  private StudentStepBenchmark() {}

  /** Runs the benchmark; see the class comment for the flags. */
  public static void main(String[] args) {
    String student = StudentArchitectures.CIFAR_VERY_TINY;
    int batchSize = 128;
    int warmup = 20;
    int repeats = 50;
    OptimizerKind kind = OptimizerKind.ADAM;
    int threads = NativeOpsStep.defaultThreads();
    String path = "auto";
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
        case "--optimizer" -> kind = optimizer(value);
        case "--threads" -> threads = positive(flag, value);
        case "--path" -> path = path(value);
        default -> throw new IllegalArgumentException("unknown flag " + flag);
      }
    }
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
      if (candidate.name().equalsIgnoreCase(value)) {
        return candidate;
      }
    }
    throw new IllegalArgumentException(
        "--optimizer must be one of " + Arrays.toString(OptimizerKind.values()) + ", got '"
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
