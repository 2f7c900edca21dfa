package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code run} command as a long-running service meets it: bad settings found before anything
 * starts, results of earlier invocations kept, a resumed run's results written, and a stop that
 * says how to resume.
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
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Distilflux.class.getName()));
    command.addAll(List.of("run", "--transport", "direct", "--iterations", "1000000",
        "--seeds", "1", "--modes", "no-distillation", "--metrics-port", "0",
        "--teacher-steps", "50", "--train-size", "40", "--validation-size", "20",
        "--test-size", "40", "--checkpoint-every", "1", "--output", output.toString()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      // The first progress line comes after step 1, whose checkpoint is written before it.
      while ((line = reader.readLine()) != null) {
        lines.add(line);
        if (line.startsWith("no-distillation seed 42") && line.contains("steps")) {
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
    String printed = String.join("\n", lines);
    assertTrue(printed.contains("distilflux: stopped; 0 run(s) ended, 1 in flight"), printed);
    assertTrue(printed.contains("checkpointed at step "), printed);
    String resume = lines.stream().filter(l -> l.contains("resume: ")).findFirst()
        .orElseThrow(() -> new AssertionError("no resume command in\n" + printed));
    assertTrue(resume.contains("run --resume " + output.resolve("checkpoints")), resume);
    assertTrue(resume.contains("--transport direct") && resume.contains("--output " + output),
        resume);
  }

  private static String invocation(String row) {
    return row.substring(row.lastIndexOf(',') + 1);
  }
}
