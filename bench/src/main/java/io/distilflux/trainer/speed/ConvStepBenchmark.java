package io.distilflux.trainer.speed;

import io.distilflux.pipeline.bench.Stats;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.profiler.OpProfiler;

/**
 * Measures one plain training step (training-mode forward + backprop of a given epsilon) of the
 * cifar-very-tiny student, batch 128, float32, for each kept variant, and prints the wall-clock
 * median, min, p10/p90, the median process CPU time per step (all threads; stable when other
 * processes compete for the cores) and the median speed-up over DL4J's out-of-the-box settings.
 *
 * <p>Usage: {@code ConvStepBenchmark [--batch N] [--warmup N] [--steps N] [--rounds N] [--only
 * substring[,substring...]] [--profile]}; with several rounds the variants take turns.
 */
public final class ConvStepBenchmark {

  private ConvStepBenchmark() {}

  /** Entry point; see the class comment for flags. */
  public static void main(String[] args) {
    int batch = 128;
    int warmup = 10;
    int steps = 40;
    int rounds = 1;
    String only = "";
    boolean profile = false;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--profile")) {
        profile = true;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("flag " + flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--batch" -> batch = positive(flag, value);
        case "--warmup" -> warmup = positive(flag, value);
        case "--steps" -> steps = positive(flag, value);
        case "--only" -> only = value;
        case "--rounds" -> rounds = positive(flag, value);
        default -> throw new IllegalArgumentException("unknown flag " + flag
            + " (known: --batch, --warmup, --steps, --rounds, --only, --profile)");
      }
    }
    printEnvironment();
    Nd4j.getRandom().setSeed(7);
    INDArray x = Nd4j.rand(DataType.FLOAT, batch, 3, VeryTinyCifarNetwork.SIDE, VeryTinyCifarNetwork.SIDE);
    INDArray eps = Nd4j.randn(DataType.FLOAT, batch, VeryTinyCifarNetwork.CLASSES).divi(batch);

    Map<String, Supplier<PlainStep>> variants = new LinkedHashMap<>();
    for (var s : List.of(
        StepSettings.outOfTheBox(),
        new StepSettings(CNN2DFormat.NCHW, WorkspaceMode.ENABLED, CacheMode.NONE),
        new StepSettings(CNN2DFormat.NHWC, WorkspaceMode.NONE, CacheMode.NONE),
        new StepSettings(CNN2DFormat.NHWC, WorkspaceMode.ENABLED, CacheMode.NONE))) {
      variants.put("dl4j " + s.label(),
          () -> new Dl4jPlainStep(VeryTinyCifarNetwork.build(s, 42), s.format()));
    }

    for (CNN2DFormat layout : CNN2DFormat.values()) {
      variants.put("nativeops " + layout + " (libnd4j/oneDNN ops, reused buffers)",
          () -> new NativeOpsStep(VeryTinyCifarNetwork.build(StepSettings.outOfTheBox(), 42),
              layout));
    }
    for (int[] split : new int[][] {{1, 1}, {2, 2}, {4, 2}, {8, 2}}) {
      variants.put("planar " + split[0] + " part(s) on " + split[1] + " thread(s)",
          () -> new NativeOpsStep(VeryTinyCifarNetwork.build(StepSettings.outOfTheBox(), 42),
              NativeOpsStep.ConvEngine.PLANAR_JAVA, split[0], split[1]));
    }

    System.out.printf("%-60s %9s %9s %9s %9s %9s %8s%n", "variant", "median_ms", "min_ms", "p10_ms", "p90_ms",
        "cpu_ms", "speedup");
    // variants take turns for `rounds` rounds of `steps` steps, so that the load of other jobs on
    // shared cores spreads over all of them rather than biasing whichever ran last
    Map<String, PlainStep> chosen = new LinkedHashMap<>();
    for (var e : variants.entrySet()) {
      if (only.isEmpty() || Arrays.stream(only.split(",")).anyMatch(e.getKey()::contains)) {
        chosen.put(e.getKey(), e.getValue().get());
      }
    }
    Map<String, double[][]> samples = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (var e : chosen.entrySet()) {
        double[][] both = time(e.getValue(), x, eps, round == 0 ? warmup : 2, steps);
        samples.merge(e.getKey(), both, (a, b) -> new double[][] {concat(a[0], b[0]),
            concat(a[1], b[1])});
      }
    }
    double baseline = Double.NaN;
    for (var e : samples.entrySet()) {
      double[] ms = e.getValue()[0];
      double[] cpu = e.getValue()[1];
      double median = Stats.median(ms);
      if (Double.isNaN(baseline)) {
        baseline = median;
      }
      System.out.printf("%-60s %9.1f %9.1f %9.1f %9.1f %9.1f %7.2fx%n", e.getKey(), median,
          Stats.min(ms), Stats.percentile(ms, 0.1), Stats.percentile(ms, 0.9), Stats.median(cpu),
          baseline / median);
      if (profile) {
        profileOps(chosen.get(e.getKey()), x, eps);
      }
    }
  }

  private static double[] concat(double[] a, double[] b) {
    double[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  /**
   * Times {@code steps} steps after {@code warmup}; row 0 holds wall milliseconds, row 1 the
   * process CPU milliseconds of all threads (robust to other processes competing for the cores).
   */
  private static double[][] time(PlainStep step, INDArray x, INDArray eps, int warmup, int steps) {
    for (int i = 0; i < warmup; i++) {
      step.step(x, eps);
    }
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    double[][] ms = new double[2][steps];
    for (int i = 0; i < steps; i++) {
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      INDArray g = step.step(x, eps);
      g.getFloat(0); // forces completion of any pending native work
      ms[0][i] = (System.nanoTime() - t0) / 1e6;
      ms[1][i] = (os.getProcessCpuTime() - cpu0) / 1e6;
    }
    return ms;
  }

  /** Prints ND4J's per-op time table for a few steps, to see where a variant spends its time. */
  private static void profileOps(PlainStep step, INDArray x, INDArray eps) {
    OpProfiler.getInstance().reset();
    Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.OPERATIONS);
    try {
      for (int i = 0; i < 5; i++) {
        step.step(x, eps).getFloat(0);
      }
    } finally {
      Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
    }
    OpProfiler.getInstance().printOutDashboard();
  }

  private static void printEnvironment() {
    var env = Nd4j.getExecutioner().getEnvironmentInformation();
    List<String> keys = new ArrayList<>(env.stringPropertyNames());
    keys.sort(null);
    StringBuilder sb = new StringBuilder("nd4j:");
    for (String k : keys) {
      if (k.startsWith("cpu") || k.startsWith("omp") || k.startsWith("blas") || k.startsWith("backend")) {
        sb.append(' ').append(k).append('=').append(env.getProperty(k));
      }
    }
    System.out.println(sb);
    System.out.println("nd4j: helpersAllowed=" + Nd4j.getEnvironment().helpersAllowed()
        + " maxThreads=" + Nd4j.getEnvironment().maxThreads()
        + " maxMasterThreads=" + Nd4j.getEnvironment().maxMasterThreads()
        + " build=" + buildInfo());
  }

  private static String buildInfo() {
    try {
      return org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo()
          .replace('\n', ' ');
    } catch (RuntimeException | LinkageError e) {
      return "unavailable (" + e.getClass().getSimpleName() + ")";
    }
  }

  private static int positive(String flag, String value) {
    try {
      int v = Integer.parseInt(value);
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // falls through to the error below
    }
    throw new IllegalArgumentException("flag " + flag + " must be a positive integer, got '" + value + "'");
  }
}
