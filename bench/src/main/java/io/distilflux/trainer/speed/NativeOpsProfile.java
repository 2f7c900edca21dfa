package io.distilflux.trainer.speed;

import io.distilflux.pipeline.bench.Stats;
import io.distilflux.trainer.model.StudentArchitectures;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Prints the median time of every op of a {@link NativeOpsStep} step (forward + backward) of the
 * real cifar-very-tiny student, and their sum.
 *
 * <p>Usage: {@code NativeOpsProfile [batch] [steps] [PLANAR_JAVA|NHWC|NCHW] [parts] [threads]
 * [tangent]}; defaults 128, 40, PLANAR_JAVA, 1, parts (after 10 warm-up steps); {@code tangent}
 * adds a forward-mode pass ({@link NativeOpsStep#tangent}) to every step. With more than one part,
 * the per-op figures are those of part 0 (the calling thread's).
 */
public final class NativeOpsProfile {

  private NativeOpsProfile() {}

  /** Entry point; see the class comment for the arguments. */
  public static void main(String[] args) {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 128;
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 40;
    Nd4j.getRandom().setSeed(7);
    MultiLayerNetwork net = StudentArchitectures.withDefaults().create(
        StudentArchitectures.CIFAR_VERY_TINY, new long[] {3, 32, 32}, 10, 1, DataType.FLOAT);
    String engine = args.length > 2 ? args[2] : "PLANAR_JAVA";
    int parts = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    int threads = args.length > 4 ? Integer.parseInt(args[4]) : parts;
    NativeOpsStep step = new NativeOpsStep(net, engine.equals("NHWC") || engine.equals("NCHW")
        ? NativeOpsStep.ConvEngine.valueOf("LIBND4J_" + engine)
        : NativeOpsStep.ConvEngine.valueOf(engine), parts, threads);
    INDArray x = Nd4j.randn(DataType.FLOAT, batch, 3, 32, 32);
    INDArray eps = Nd4j.randn(DataType.FLOAT, batch, 10).divi(batch);
    boolean tangent = args.length > 5 && args[5].equals("tangent");
    INDArray direction = Nd4j.randn(DataType.FLOAT, net.params().shape());
    OpClock clock = new OpClock();
    step.profileWith(clock);
    for (int i = 0; i < 10; i++) {
      step.step(x, eps);
      if (tangent) {
        step.tangent(direction);
      }
    }
    clock.reset();
    double[] total = new double[steps];
    for (int i = 0; i < steps; i++) {
      long start = System.nanoTime();
      step.step(x, eps);
      if (tangent) {
        step.tangent(direction);
      }
      total[i] = (System.nanoTime() - start) / 1e6;
    }
    System.out.printf("batch %d, steps %d, engine %s, parts %d, threads %d, OMP_NUM_THREADS=%s%n",
        batch, steps, engine, parts, threads, System.getenv("OMP_NUM_THREADS"));
    double sum = 0;
    for (Map.Entry<String, List<Double>> op : clock.laps().entrySet()) {
      double median = Stats.median(op.getValue().stream().mapToDouble(Double::doubleValue).toArray());
      sum += median;
      System.out.printf("%-22s median %7.3f ms%n", op.getKey(), median);
    }
    System.out.printf("sum of op medians %.2f ms, step median %.2f ms%n", sum, Stats.median(total));
  }
}
