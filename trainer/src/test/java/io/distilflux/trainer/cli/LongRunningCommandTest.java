package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.kafka.EmbeddedKafka;
import io.distilflux.pipeline.meta.MetaOptimizerService;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code run} command as a long-running service meets it: bad settings found before anything
 * starts, results of earlier invocations kept, a resumed run's results written, and a stop that
 * says how to resume and lets the services leave their consumer groups.
 */
class LongRunningCommandTest {

  @TempDir Path dir;

  private static final List<String> TINY = List.of("run", "--transport", "direct",
      "--iterations", "30", "--seeds", "1", "--modes", "no-distillation", "--metrics-port", "0",
      "--teacher-steps", "50", "--train-size", "40", "--validation-size", "20",
      "--test-size", "40");

  private static String[] tiny(Path output, String... more) {
    List<String> args = new ArrayList<>(TINY);
    args.add("--output");
    args.add(output.toString());
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @Test
  void anUnwritableOutputFolderFailsBeforeAnythingStarts() throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
    CliOutcome outcome = CliOutcome.execute(tiny(file.resolve("results")));
    assertEquals(2, outcome.exitCode(), outcome.err());
    assertEquals(1, outcome.errLines().size(), "one line, nothing started: " + outcome.err());
    assertTrue(outcome.errLines().get(0).startsWith("distilflux: --output folder"),
        outcome.err());
  }

  @Test
  void anUnreachableClusterFailsWithOneLineBeforeAnythingStarts() {
    CliOutcome outcome = CliOutcome.execute("run", "--bootstrap-servers", "127.0.0.1:1",
        "--metrics-port", "0", "--output", dir.resolve("out").toString());
    assertEquals(2, outcome.exitCode(), outcome.err());
    assertEquals(1, outcome.errLines().size(), outcome.err());
    assertTrue(outcome.errLines().get(0).contains("127.0.0.1:1 did not answer"), outcome.err());
  }

  @Test
  void aSecondRunIntoTheSameOutputKeepsTheFirstRunsRows() throws Exception {
    Path output = dir.resolve("shared");
    assertEquals(0, CliOutcome.execute(tiny(output)).exitCode());
    assertEquals(0, CliOutcome.execute(tiny(output, "--first-seed", "7")).exitCode());

    List<String> csv = Files.readAllLines(output.resolve("results.csv"));
    assertEquals(3, csv.size(), "header and both invocations' rows: " + csv);
    assertTrue(csv.get(0).endsWith(",invocation"), csv.get(0));
    String first = invocation(csv.get(1));
    String second = invocation(csv.get(2));
    assertNotEquals(first, second, csv.toString());
    assertTrue(csv.get(1).contains(",no-distillation,42,"), csv.get(1));
    assertTrue(csv.get(2).contains(",no-distillation,7,"), csv.get(2));
    assertTrue(Files.isRegularFile(output.resolve("results-" + first + ".json")));
    assertTrue(Files.isRegularFile(output.resolve("results-" + second + ".json")));
    assertTrue(Files.readString(output.resolve("results.json")).contains(second));
  }

  @Test
  void rowsFromBeforeTheInvocationColumnAreKept() throws Exception {
    Path output = Files.createDirectories(dir.resolve("old"));
    Files.writeString(output.resolve("results.csv"), ResultsTable.CSV_HEADER + "\n"
        + "old-run,synthetic,fixed,1,30,0.5,0.7,0.5,0,0,1.000,0.000,\n");
    assertEquals(0, CliOutcome.execute(tiny(output)).exitCode());
    List<String> csv = Files.readAllLines(output.resolve("results.csv"));
    assertEquals(3, csv.size(), csv.toString());
    assertEquals("old-run,synthetic,fixed,1,30,0.5,0.7,0.5,0,0,1.000,0.000,,", csv.get(1));
  }

  @Test
  void aResumedRunWritesItsResults() throws Exception {
    Path output = dir.resolve("resumed");
    assertEquals(0, CliOutcome.execute(tiny(output, "--checkpoint-every", "10")).exitCode());
    Path checkpoints = output.resolve("checkpoints");
    Path runFolder;
    try (Stream<Path> runs = Files.list(checkpoints)) {
      runFolder = runs.findFirst().orElseThrow();
    }
    CliOutcome resumed = CliOutcome.execute("run", "--resume", runFolder.toString(),
        "--transport", "direct", "--metrics-port", "0", "--output", output.toString());
    assertEquals(0, resumed.exitCode(), resumed.err());
    List<String> csv = Files.readAllLines(output.resolve("results.csv"));
    assertEquals(3, csv.size(), "the first invocation's row and the resumed run's: " + csv);
    assertTrue(csv.get(2).startsWith(runFolder.getFileName() + ","), csv.get(2));
    assertTrue(resumed.out().contains("results written to"), resumed.out());
  }

  @Test
  void aStoppedRunPrintsWhatEndedWhatWasCheckpointedAndHowToResume() throws Exception {
    Path output = dir.resolve("stopped");
    List<String> lines = stopAfterFirstProgress("no-distillation", "--transport", "direct",
        "--checkpoint-every", "1", "--output", output.toString());
    String printed = String.join("\n", lines);
    assertTrue(printed.contains("distilflux: stopped; 0 run(s) ended, 1 in flight"), printed);
    assertTrue(printed.contains("checkpointed at step "), printed);
    String resume = lines.stream().filter(l -> l.contains("resume: ")).findFirst()
        .orElseThrow(() -> new AssertionError("no resume command in\n" + printed));
    assertTrue(resume.contains("run --resume " + output.resolve("checkpoints")), resume);
    assertTrue(resume.contains("--transport direct") && resume.contains("--output " + output),
        resume);
  }

  @Test
  void aStoppedRunsServicesLeaveTheirConsumerGroupsSoAResumeTakesOverAtOnce() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      List<String> lines = stopAfterFirstProgress("hypergradient",
          "--bootstrap-servers", kafka.bootstrapServers(), "--topic-prefix", "stopped",
          "--output", dir.resolve("stopped-kafka").toString());
      assertTrue(String.join("\n", lines).contains("1 in flight"), String.join("\n", lines));
      // Members that vanished without leaving would stay until their sessions time out, and a
      // resumed run's services would wait that long for their partitions.
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        List<String> groups = admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS).stream()
            .map(ConsumerGroupListing::groupId).toList();
        assertTrue(groups.contains(MetaOptimizerService.DEFAULT_GROUP), groups.toString());
        for (ConsumerGroupDescription description : admin.describeConsumerGroups(groups).all()
            .get(30, TimeUnit.SECONDS).values()) {
          assertTrue(description.members().isEmpty(), description.groupId()
              + " still has members after the process stopped: " + description);
        }
      }
    }
  }

  /**
   * Starts {@code run} in a process of its own for a long run of one mode, stops it with
   * SIGTERM after its first progress line and returns everything it printed.
   */
  private static List<String> stopAfterFirstProgress(String mode, String... more)
      throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Distilflux.class.getName()));
    command.addAll(List.of("run", "--iterations", "1000000",
        "--seeds", "1", "--modes", mode, "--metrics-port", "0",
        "--teacher-steps", "50", "--train-size", "40", "--validation-size", "20",
        "--test-size", "40"));
    command.addAll(List.of(more));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      // The first progress line comes after step 1, whose checkpoint is written before it.
      while ((line = reader.readLine()) != null) {
        lines.add(line);
        if (line.startsWith(mode + " seed 42") && line.contains("steps")) {
          break;
        }
      }
      // SIGTERM; Process.destroy() would also close the streams this test still reads
      process.toHandle().destroy();
      while ((line = reader.readLine()) != null) {
        lines.add(line);
      }
    } finally {
      process.waitFor(60, TimeUnit.SECONDS);
      process.destroyForcibly();
    }
    return lines;
  }

  private static String invocation(String row) {
    return row.substring(row.lastIndexOf(',') + 1);
  }
}
