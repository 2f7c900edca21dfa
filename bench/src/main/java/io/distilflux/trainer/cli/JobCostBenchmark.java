package io.distilflux.trainer.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Where a whole {@code distilflux run} spends the machine: runs the job in this process (the
 * arguments are {@code run}'s flags) and prints, when it ends, the broker's requests by kind and
 * per hypergradient round trip (embedded broker only), each Kafka client's requests and records
 * per request, and the CPU of the process's threads by thread family, the JIT compiler's and the
 * garbage collector's included, with the system time apart (Linux).
 *
 * <p>Usage: {@code JobCostBenchmark [--sample-ms 1000] [--verbose] [run flags…]}; the job's
 * results table is printed only with {@code --verbose} (its progress and log go to standard
 * error). Counters are read from the clients' and the broker's JMX meters and the threads' times
 * from {@code /proc/self/task} every sample interval, keeping each one's last value: a client or
 * a thread that ends is counted up to its last sample, at most one interval short. Thread names
 * are the kernel's (15 characters); digits are folded so that a pool is one family. Times are in
 * clock ticks of 1/100 s, Linux's user clock on every common platform.
 */
public final class JobCostBenchmark {

  private static final double TICKS_PER_SECOND = 100.0;

  private JobCostBenchmark() {}

  /** Runs the job, then prints its costs; exits with the job's exit code. */
  public static void main(String[] args) throws InterruptedException {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    String sampleFlag = BenchmarkFlags.take(rest, "--sample-ms", "1000");
    long sampleMs = sampleMillis(sampleFlag);
    if (sampleMs < 1) {
      System.err.println("JobCostBenchmark: --sample-ms must be a whole number of milliseconds"
          + " >= 1, got '" + sampleFlag + "'");
      System.exit(2);
    }
    boolean verbose = rest.remove("--verbose");
    rest.add(0, "run");
    Sampler sampler = new Sampler();
    Thread sampling = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        sampler.sample();
        try {
          Thread.sleep(sampleMs);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "job-cost-sampler");
    sampling.setDaemon(true);
    sampling.start();
    PrintStream console = System.out;
    if (!verbose) {
      System.setOut(new PrintStream(OutputStream.nullOutputStream()));
    }
    long begin = System.nanoTime();
    int code = Distilflux.execute(rest.toArray(String[]::new));
    double wall = (System.nanoTime() - begin) / 1e9;
    System.setOut(console);
    sampling.interrupt();
    sampling.join();
    sampler.sample();
    System.out.print(sampler.report(wall));
    System.exit(code);
  }

  /** The flag's milliseconds, or 0 when it is not a whole number. */
  private static long sampleMillis(String flag) {
    try {
      return Long.parseLong(flag);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The last value seen of every counter and thread time; sampled from one thread at a time. */
  static final class Sampler {
    final Map<String, Long> brokerRequests = new ConcurrentHashMap<>();
    final Map<String, Long> topicRecords = new ConcurrentHashMap<>();
    /** client id → {requests, records}. */
    final Map<String, long[]> clients = new ConcurrentHashMap<>();
    /** thread id → its sample. */
    final Map<String, ThreadTime> threads = new ConcurrentHashMap<>();

    synchronized void sample() {
      readMeters();
      readThreads();
    }

    private void readMeters() {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      try {
        for (ObjectName name : server.queryNames(new ObjectName(
            "kafka.network:type=RequestMetrics,name=RequestsPerSec,*"), null)) {
          String kind = name.getKeyProperty("request");
          if (!"FetchConsumer".equals(kind) && !"FetchFollower".equals(kind)) {
            // one meter per request version: add the versions of a kind up
            brokerRequests.merge(kind + " v" + name.getKeyProperty("version"),
                count(server, name, "Count"), Math::max);
          }
        }
        for (ObjectName name : server.queryNames(new ObjectName(
            "kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec,topic=*"), null)) {
          topicRecords.merge(name.getKeyProperty("topic"), count(server, name, "Count"),
              Math::max);
        }
        for (ObjectName name : server.queryNames(new ObjectName(
            "kafka.consumer:type=consumer-fetch-manager-metrics,client-id=*"), null)) {
          client("consumer " + name.getKeyProperty("client-id"),
              count(server, name, "fetch-total"), count(server, name, "records-consumed-total"));
        }
        for (ObjectName name : server.queryNames(new ObjectName(
            "kafka.producer:type=producer-metrics,client-id=*"), null)) {
          client("producer " + name.getKeyProperty("client-id"),
              count(server, name, "request-total"), count(server, name, "record-send-total"));
        }
      } catch (JMException e) {
        // a meter unregistered between the query and the read: the next sample reads it
      }
    }

    private void client(String id, long requests, long records) {
      clients.merge(id, new long[] {requests, records},
          (a, b) -> new long[] {Math.max(a[0], b[0]), Math.max(a[1], b[1])});
    }

    private static long count(MBeanServer server, ObjectName name, String attribute)
        throws JMException {
      return ((Number) server.getAttribute(name, attribute)).longValue();
    }

    private void readThreads() {
      Path tasks = Path.of("/proc/self/task");
      if (!Files.isDirectory(tasks)) {
        return;
      }
      try (DirectoryStream<Path> each = Files.newDirectoryStream(tasks)) {
        for (Path task : each) {
          try {
            ThreadTime time = parseStat(
                Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII));
            if (time != null) {
              threads.put(task.getFileName().toString(), time);
            }
          } catch (IOException e) {
            // the thread ended between the listing and the read: its last sample stands
          }
        }
      } catch (IOException e) {
        // no thread times on this sample
      }
    }

    String report(double wallSeconds) {
      StringBuilder out = new StringBuilder();
      long roundTrips = topicRecords.entrySet().stream()
          .filter(e -> e.getKey().endsWith(".hypergradients"))
          .mapToLong(Map.Entry::getValue).sum();
      Map<String, Long> byKind = new TreeMap<>();
      brokerRequests.forEach((kind, count) ->
          byKind.merge(kind.substring(0, kind.indexOf(' ')), count, Long::sum));
      long requests = byKind.values().stream().mapToLong(Long::longValue).sum();
      if (requests > 0) {
        out.append(String.format(Locale.ROOT, "broker: %d requests%n", requests));
        byKind.entrySet().stream().filter(e -> e.getValue() >= 100)
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .forEach(e -> out.append(String.format(Locale.ROOT, "  %-16s %9d%n",
                e.getKey(), e.getValue())));
      }
      clients.entrySet().stream().filter(e -> e.getValue()[0] >= 100)
          .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[0]))
          .forEach(e -> out.append(String.format(Locale.ROOT,
              "client: %9d requests, %9d records, %6.2f records per request  %s%n",
              e.getValue()[0], e.getValue()[1], e.getValue()[1] / (double) e.getValue()[0],
              clientName(e.getKey()))));
      Map<String, double[]> families = new TreeMap<>();
      for (ThreadTime time : threads.values()) {
        double[] sum = families.computeIfAbsent(family(time.name()), f -> new double[3]);
        sum[0] += time.userTicks() / TICKS_PER_SECOND;
        sum[1] += time.systemTicks() / TICKS_PER_SECOND;
        sum[2]++;
      }
      double user = families.values().stream().mapToDouble(s -> s[0]).sum();
      double system = families.values().stream().mapToDouble(s -> s[1]).sum();
      double compiler = families.entrySet().stream()
          .filter(e -> e.getKey().contains("CompilerThre"))
          .mapToDouble(e -> e.getValue()[0] + e.getValue()[1]).sum();
      StringBuilder summary = new StringBuilder(String.format(Locale.ROOT, "job: %.1f s wall",
          wallSeconds));
      if (roundTrips > 0) {
        summary.append(String.format(Locale.ROOT,
            ", %d hypergradient round trips (%.0f round trips/s)", roundTrips,
            roundTrips / wallSeconds));
      }
      if (requests > 0 && roundTrips > 0) {
        summary.append(String.format(Locale.ROOT, ", %.2f broker requests per round trip",
            requests / (double) roundTrips));
      }
      if (user + system > 0) {
        summary.append(String.format(Locale.ROOT, ", %.1f s CPU on %.2f cores, %.0f %% of it"
            + " in the JIT compiler", user + system, (user + system) / wallSeconds,
            100 * compiler / (user + system)));
      }
      out.insert(0, summary.append(System.lineSeparator()));
      if (!families.isEmpty()) {
        out.append(String.format(Locale.ROOT,
            "threads: %.1f s CPU (%.1f s system), %.2f cores on average%n",
            user + system, system, (user + system) / wallSeconds));
        families.entrySet().stream()
            .sorted(Comparator.comparingDouble(e -> -(e.getValue()[0] + e.getValue()[1])))
            .filter(e -> e.getValue()[0] + e.getValue()[1] >= 0.1)
            .forEach(e -> out.append(String.format(Locale.ROOT,
                "  %7.1f s CPU (%5.1f s system) %5.1f %%  %3d × %s%n",
                e.getValue()[0] + e.getValue()[1], e.getValue()[1],
                100 * (e.getValue()[0] + e.getValue()[1]) / (user + system),
                (int) e.getValue()[2], e.getKey())));
      }
      return out.toString();
    }
  }

  /** One thread's name and times, from its {@code /proc/…/task/…/stat} line. */
  record ThreadTime(String name, long userTicks, long systemTicks) {}

  /**
   * Parses a {@code stat} line: the name is between the first '(' and the last ')' (it may hold
   * spaces and parentheses), utime and stime are the 12th and 13th fields after it.
   */
  static ThreadTime parseStat(String line) {
    int open = line.indexOf('(');
    int close = line.lastIndexOf(')');
    if (open < 0 || close < open) {
      return null;
    }
    String[] fields = line.substring(close + 1).trim().split("\\s+");
    if (fields.length < 13) {
      return null;
    }
    return new ThreadTime(line.substring(open + 1, close), Long.parseLong(fields[11]),
        Long.parseLong(fields[12]));
  }

  /** A thread's family: its name with every run of digits folded to '#'. */
  static String family(String threadName) {
    return threadName.replaceAll("\\d+", "#");
  }

  /** A client id without the random suffix that keeps it unique. */
  static String clientName(String clientId) {
    return clientId.replaceAll(
        "-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", "");
  }
}
