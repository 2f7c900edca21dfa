package io.distilflux.trainer.cli;

import io.distilflux.pipeline.kafka.EmbeddedKafka;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark: one long run over Kafka while the resident memory of every process is sampled, to
 * show that a long-running service stays in constant memory. By default one {@code forecast}
 * run of 1 000 000 synthetic steps on an embedded broker; the meta-optimizer and the monitor
 * run as child processes ({@code java -cp … Distilflux meta-optimizer|monitor}) against that
 * broker, so that each process's memory is its own ({@code --services in-process} keeps them in
 * this process instead).
 *
 * <p>Every {@code --interval} seconds it prints, for this process, the resident set
 * ({@code VmRSS} of {@code /proc/self/status}), the heap in use after the last collection, the
 * heap committed, direct buffers and the bytes JavaCPP tracks for ND4J, and the resident set of
 * each child. At the end (the run finished, or {@code --max-minutes} passed) it prints each
 * process's growth after warm-up: the mean resident set of the last minute against that of the
 * first minute after {@code --warmup} minutes, in percent (target: under 5 %).
 *
 * <p>Usage: {@code SoakBenchmark [--interval S] [--warmup MIN] [--max-minutes MIN]
 * [--services children|in-process] [run flags…]}; the run flags default to
 * {@code --modes forecast --seeds 1 --iterations 1000000 --metrics-port 0 --output
 * <temporary folder>}. A CIFAR-10 soak: {@code --dataset cifar10 --data-dir DIR --epochs 20}.
 */
public final class SoakBenchmark {

  private SoakBenchmark() {}

  /** One sample of one process. */
  record Sample(double minutes, long rssBytes) {}

  /** Runs the benchmark. */
  public static void main(String[] args) throws Exception {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    double interval = Double.parseDouble(BenchmarkFlags.take(rest, "--interval", "60"));
    double warmup = Double.parseDouble(BenchmarkFlags.take(rest, "--warmup", "2"));
    double maxMinutes = Double.parseDouble(BenchmarkFlags.take(rest, "--max-minutes", "0"));
    String services = BenchmarkFlags.take(rest, "--services", "children");
    if (!(interval > 0) || warmup < 0 || maxMinutes < 0) {
      throw new IllegalArgumentException("--interval must be > 0, --warmup and --max-minutes >= 0");
    }
    if (!services.equals("children") && !services.equals("in-process")) {
      throw new IllegalArgumentException("--services must be children or in-process");
    }
    Map<String, String> flags = new LinkedHashMap<>(Map.of("modes", "forecast", "seeds", "1",
        "iterations", "1000000", "metrics-port", "0"));
    for (int i = 0; i < rest.size(); i += 2) {
      if (!rest.get(i).startsWith("--") || i + 1 >= rest.size()) {
        throw new IllegalArgumentException("run flags come as --name value, got " + rest.get(i));
      }
      flags.put(rest.get(i).substring(2), rest.get(i + 1));
    }
    if (!flags.containsKey("output")) {
      flags.put("output", Files.createTempDirectory("distilflux-soak").toString());
    }
    PrintStream out = System.out;
    long start = System.nanoTime();
    Map<String, List<Sample>> samples = new LinkedHashMap<>();
    List<Process> children = new ArrayList<>();
    EmbeddedKafka kafka = null;
    try {
      Map<String, Long> pids = new LinkedHashMap<>();
      pids.put("trainer", ProcessHandle.current().pid());
      if (services.equals("children")) {
        if (!flags.containsKey("bootstrap-servers")) {
          kafka = EmbeddedKafka.start();
          flags.put("bootstrap-servers", kafka.bootstrapServers());
        }
        String servers = flags.get("bootstrap-servers");
        String prefix = flags.getOrDefault("topic-prefix", "distilflux.");
        children.add(child("meta-optimizer", servers, prefix, "--health-port", "0"));
        children.add(child("monitor", servers, prefix, "--metrics-port", "0"));
        // Stopped with Ctrl-C, the benchmark takes its children with it.
        List<Process> started = List.copyOf(children);
        Runtime.getRuntime().addShutdownHook(new Thread(
            () -> started.forEach(p -> p.toHandle().destroy()), "soak-children"));
        pids.put("meta-optimizer", children.get(0).pid());
        pids.put("monitor", children.get(1).pid());
        flags.put("services", "external");
      }
      pids.keySet().forEach(name -> samples.put(name, new ArrayList<>()));
      out.println("soak: " + flags + "; sampling every " + interval + " s, warm-up " + warmup
          + " min");
      ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "soak-sampler");
        t.setDaemon(true);
        return t;
      });
      sampler.scheduleAtFixedRate(() -> {
        try {
          sample(out, start, pids, samples);
        } catch (RuntimeException | Error e) {
          // a failed sample must not cancel the ones after it
          out.println("soak: sample failed: " + e);
        }
      }, 0, Math.round(interval * 1000), TimeUnit.MILLISECONDS);
      Thread runner = new Thread(() -> {
        PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
        new ExperimentRunner(RunOptions.parse(flags), quiet, System.err).run();
      }, "soak-run");
      runner.setDaemon(true);
      runner.start();
      runner.join(maxMinutes > 0 ? Math.round(maxMinutes * 60_000) : 0);
      sampler.shutdownNow();
      sample(out, start, pids, samples);
      out.println(runner.isAlive() ? "soak: stopped after " + maxMinutes + " min (run still training)"
          : "soak: run finished");
      for (Map.Entry<String, List<Sample>> e : samples.entrySet()) {
        out.println(growth(e.getKey(), e.getValue(), warmup));
        out.println(trend(e.getKey(), e.getValue(), warmup));
      }
    } finally {
      for (Process child : children) {
        child.toHandle().destroy();
        child.waitFor(30, TimeUnit.SECONDS);
        child.destroyForcibly();
      }
      if (kafka != null) {
        kafka.close();
      }
    }
    System.exit(0);
  }

  /**
   * "name: rss A MB (mean of the first minute after warm-up) -> B MB (mean of the last minute),
   * peak C MB: +x.x %". Means over a minute, so that the saw of collections does not decide.
   */
  static String growth(String name, List<Sample> series, double warmupMinutes) {
    List<Sample> after = series.stream().filter(s -> s.minutes() >= warmupMinutes).toList();
    if (after.size() < 2) {
      return String.format(Locale.ROOT, "growth %s: too few samples after %.1f min of warm-up"
          + " (%d)", name, warmupMinutes, after.size());
    }
    double start = after.get(0).minutes();
    double end = after.get(after.size() - 1).minutes();
    double window = Math.min(1.0, (end - start) / 2);
    double first = after.stream().filter(s -> s.minutes() <= start + window)
        .mapToLong(Sample::rssBytes).average().orElseThrow();
    double last = after.stream().filter(s -> s.minutes() >= end - window)
        .mapToLong(Sample::rssBytes).average().orElseThrow();
    long peak = after.stream().mapToLong(Sample::rssBytes).max().orElse(0);
    return String.format(Locale.ROOT, "growth %s: rss %.0f MB (%.1f-%.1f min) -> %.0f MB"
        + " (%.1f-%.1f min), peak %.0f MB: %+.1f %% (target < 5 %%)", name, first / 1e6, start,
        start + window, last / 1e6, end - window, end, peak / 1e6, 100 * (last - first) / first);
  }

  /**
   * "trend name: median A MB (first quarter after warm-up) -> B MB (last quarter): +x.x %,
   * slope S MB/h": medians of quarters, so that one sample at a collection's peak or trough
   * does not decide, and the least-squares slope of every sample after warm-up.
   */
  static String trend(String name, List<Sample> series, double warmupMinutes) {
    List<Sample> after = series.stream().filter(s -> s.minutes() >= warmupMinutes).toList();
    if (after.size() < 4) {
      return String.format(Locale.ROOT, "trend %s: too few samples after %.1f min of warm-up"
          + " (%d)", name, warmupMinutes, after.size());
    }
    int quarter = after.size() / 4;
    double first = median(after.subList(0, quarter));
    double last = median(after.subList(after.size() - quarter, after.size()));
    double meanX = after.stream().mapToDouble(Sample::minutes).average().orElseThrow();
    double meanY = after.stream().mapToDouble(Sample::rssBytes).average().orElseThrow();
    double sxy = 0;
    double sxx = 0;
    for (Sample s : after) {
      sxy += (s.minutes() - meanX) * (s.rssBytes() - meanY);
      sxx += (s.minutes() - meanX) * (s.minutes() - meanX);
    }
    double slopePerHour = sxx == 0 ? 0 : sxy / sxx * 60;
    return String.format(Locale.ROOT, "trend %s: median rss %.0f MB (first quarter after warm-up,"
        + " %d samples) -> %.0f MB (last quarter): %+.1f %% (target < 5 %%); least-squares slope"
        + " %+.1f MB/h", name, first / 1e6, quarter, last / 1e6, 100 * (last - first) / first,
        slopePerHour / 1e6);
  }

  private static double median(List<Sample> samples) {
    double[] values = samples.stream().mapToDouble(Sample::rssBytes).sorted().toArray();
    int n = values.length;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  private static void sample(PrintStream out, long start, Map<String, Long> pids,
      Map<String, List<Sample>> samples) {
    double minutes = (System.nanoTime() - start) / 60e9;
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%6.1f min", minutes));
    for (Map.Entry<String, Long> e : pids.entrySet()) {
      OptionalLong rss = residentBytes(e.getValue());
      if (rss.isEmpty()) {
        line.append("  ").append(e.getKey()).append(" gone");
        continue;
      }
      synchronized (samples) {
        samples.get(e.getKey()).add(new Sample(minutes, rss.getAsLong()));
      }
      line.append(String.format(Locale.ROOT, "  %s rss %.0f MB", e.getKey(),
          rss.getAsLong() / 1e6));
      if (e.getValue() == ProcessHandle.current().pid()) {
        line.append(String.format(Locale.ROOT,
            " (heap after gc %.0f MB, committed %.0f MB, direct %.0f MB, javacpp %.0f MB, %s)",
            heapAfterGc() / 1e6, heapCommitted() / 1e6, directBytes() / 1e6,
            javacppBytes() / 1e6, collections()));
      }
    }
    out.println(line);
  }

  /** VmRSS of a process from {@code /proc/<pid>/status}. */
  static OptionalLong residentBytes(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (l.startsWith("VmRSS:")) {
          String[] parts = l.substring(6).trim().split("\\s+");
          return OptionalLong.of(Long.parseLong(parts[0]) * 1024);
        }
      }
      return OptionalLong.empty();
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  private static long heapAfterGc() {
    long used = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      MemoryUsage afterGc = pool.getCollectionUsage();
      if (pool.getType() == MemoryType.HEAP && afterGc != null) {
        used += afterGc.getUsed();
      }
    }
    return used;
  }

  /** Each collector's collections and seconds so far, e.g. "G1 Young 120/3.4 s". */
  private static String collections() {
    StringBuilder out = new StringBuilder();
    for (java.lang.management.GarbageCollectorMXBean gc
        : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (out.length() > 0) {
        out.append(", ");
      }
      out.append(String.format(Locale.ROOT, "%s %d/%.1f s", gc.getName().replace("G1 ", ""),
          gc.getCollectionCount(), gc.getCollectionTime() / 1e3));
    }
    return out.toString();
  }

  private static long heapCommitted() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
  }

  private static long directBytes() {
    return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed)
        .sum();
  }

  private static long javacppBytes() {
    return org.bytedeco.javacpp.Pointer.totalBytes();
  }

  private static Process child(String command, String servers, String prefix, String... more) {
    List<String> line = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Distilflux.class.getName(), command,
        "--bootstrap-servers", servers, "--topic-prefix", prefix));
    line.addAll(List.of(more));
    try {
      return new ProcessBuilder(line).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command + ": " + e.getMessage(), e);
    }
  }

}
