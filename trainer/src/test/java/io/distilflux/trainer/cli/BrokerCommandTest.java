package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.Topics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code broker} command as a local service: its topics made at start, jobs on it, a stop
 * with SIGTERM, and a restart on the same folder that still holds what the jobs recorded.
 */
class BrokerCommandTest {

  @TempDir Path dir;

  @Test
  void aTakenPortIsOneLineAndNoBroker() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CliOutcome outcome = CliOutcome.execute("broker", "--kafka-dir",
          dir.resolve("log").toString(), "--port", String.valueOf(taken.getLocalPort()));
      assertEquals(2, outcome.exitCode(), outcome.err());
      assertEquals(1, outcome.errLines().size(), outcome.err());
      assertTrue(outcome.errLines().get(0).contains("is in use"), outcome.err());
    }
  }

  @Test
  void aPortOutOfRangeIsOneLine() {
    CliOutcome outcome = CliOutcome.execute("broker", "--kafka-dir",
        dir.resolve("log").toString(), "--port", "70000");
    assertEquals(2, outcome.exitCode(), outcome.err());
    assertEquals(List.of("distilflux: --port must be in [1, 65535], got 70000"),
        outcome.errLines());
  }

  @Test
  void aTopicPrefixKafkaWouldRefuseIsOneLineAndNoBroker() {
    Path log = dir.resolve("log");
    CliOutcome outcome = CliOutcome.execute("broker", "--kafka-dir", log.toString(),
        "--topic-prefix", "team/a.");
    assertEquals(2, outcome.exitCode(), outcome.err());
    assertEquals(1, outcome.errLines().size(), outcome.err());
    assertTrue(outcome.errLines().get(0).startsWith("distilflux: topic prefix may hold only"),
        outcome.err());
    assertTrue(Files.notExists(log), "nothing started, no log folder made");
  }

  @Test
  void aJobsRunIsStillRecordedAfterTheBrokerRestartsAndASecondBrokerOnItsFolderIsRefused() throws Exception {
    Path log = dir.resolve("kafka-log");
    String bootstrap = "127.0.0.1:" + freePort();
    String runId;
    try (Broker broker = Broker.start(log, bootstrap)) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        TopicDescription steps = admin.describeTopics(List.of(new Topics("distilflux.").steps()
            .topic())).allTopicNames().get(30, TimeUnit.SECONDS).values().iterator().next();
        assertEquals(1, steps.partitions().size(), steps.toString());
      }
      CliOutcome job = CliOutcome.execute("run", "--bootstrap-servers", bootstrap,
          "--iterations", "40", "--seeds", "1", "--modes", "hypergradient",
          "--metrics-port", "0", "--teacher-steps", "50", "--train-size", "40",
          "--validation-size", "20", "--test-size", "40",
          "--output", dir.resolve("out").toString());
      assertEquals(0, job.exitCode(), job.err());
      runId = listedRuns(bootstrap).get(0).split("\\s+")[0];
      // A second broker on the folder would start its controller on the first one's metadata
      // log before Kafka's own lock stopped it; it is refused before that.
      CliOutcome second = CliOutcome.execute("broker", "--kafka-dir", log.toString(),
          "--port", String.valueOf(freePort()));
      assertEquals(2, second.exitCode(), second.err());
      assertEquals(List.of("distilflux: Kafka log directory " + log.toAbsolutePath()
          + " is in use by another running broker"), second.errLines());
      List<String> stopped = broker.stop();
      assertTrue(stopped.stream().anyMatch(l -> l.startsWith("broker stopping")),
          String.join("\n", stopped));
      assertEquals(143, broker.exitCode(), "the JVM's status after SIGTERM");
    }
    try (Broker again = Broker.start(log, bootstrap)) {
      List<String> runs = listedRuns(bootstrap);
      assertEquals(1, runs.size(), runs.toString());
      assertTrue(runs.get(0).startsWith(runId) && runs.get(0).contains("finished"),
          runs.toString());
      again.stop();
    }
  }

  private static List<String> listedRuns(String bootstrap) {
    CliOutcome runs = CliOutcome.execute("runs", "--bootstrap-servers", bootstrap);
    assertEquals(0, runs.exitCode(), runs.err());
    return runs.out().lines().filter(l -> l.contains("hypergradient")).toList();
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** {@code distilflux broker} in a process of its own, as a user starts it. */
  private static final class Broker implements AutoCloseable {

    private final Process process;
    private final BufferedReader output;
    private final List<String> lines = new ArrayList<>();

    private Broker(Process process) {
      this.process = process;
      this.output = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Starts the broker and returns once it says it is running. */
    static Broker start(Path log, String bootstrap) throws Exception {
      String port = bootstrap.substring(bootstrap.lastIndexOf(':') + 1);
      Process process = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), Distilflux.class.getName(),
          "broker", "--kafka-dir", log.toString(), "--port", port)
          .redirectErrorStream(true).start();
      Broker broker = new Broker(process);
      String line;
      while ((line = broker.output.readLine()) != null) {
        broker.lines.add(line);
        if (line.startsWith("broker running at " + bootstrap)) {
          return broker;
        }
      }
      broker.close();
      throw new AssertionError("the broker did not start: " + String.join("\n", broker.lines));
    }

    /** SIGTERM (what a service manager sends), then everything it printed. */
    List<String> stop() throws Exception {
      process.toHandle().destroy();
      String line;
      while ((line = output.readLine()) != null) {
        lines.add(line);
      }
      process.waitFor(60, TimeUnit.SECONDS);
      return lines;
    }

    int exitCode() {
      return process.exitValue();
    }

    @Override
    public void close() throws Exception {
      if (process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
      output.close();
    }
  }
}
