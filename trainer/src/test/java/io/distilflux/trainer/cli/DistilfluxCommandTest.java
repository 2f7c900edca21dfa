package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** The {@code distilflux} command line as a user meets it: help, bad input, a tiny run. */
class DistilfluxCommandTest {

  @TempDir static Path tempDir;



  @Test
  void aFailureOfACommandIsOneLineWithTheExitCodeOfItsKind() {
    StringWriter err = new StringWriter();
    assertEquals(1, Distilflux.failed(new IllegalStateException("the Kafka event bus is closed"),
        new PrintWriter(err, true), false));
    assertEquals(2, Distilflux.failed(new IllegalArgumentException("bad value\nat line 3"),
        new PrintWriter(err, true), false));
    assertEquals(List.of("distilflux: the Kafka event bus is closed", "distilflux: bad value"),
        err.toString().lines().toList());
  }

  @Test
  void aFailureWhileTheJvmIsStoppedIsLeftToTheStopReport() {
    StringWriter err = new StringWriter();
    int code = Distilflux.failed(new IllegalStateException("the Kafka event bus is closed"),
        new PrintWriter(err, true), true);
    assertEquals(Distilflux.STOPPED, code);
    assertEquals("", err.toString());
  }

  @Test
  void theJvmCountsAsStoppingOnlyWhileItRunsItsShutdownHooks() throws Exception {
    assertFalse(Distilflux.jvmStopping());
    Process jvm = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), StoppingProbe.class.getName())
        .redirectErrorStream(true).start();
    String out = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, jvm.waitFor());
    assertEquals(List.of("running: false", "in a shutdown hook: true"), out.lines().toList());
  }

  /** Prints {@link Distilflux#jvmStopping()} while running, then from a shutdown hook. */
  static final class StoppingProbe {
    public static void main(String[] args) {
      Runtime.getRuntime().addShutdownHook(new Thread(
          () -> System.out.println("in a shutdown hook: " + Distilflux.jvmStopping())));
      System.out.println("running: " + Distilflux.jvmStopping());
    }
  }

  @Test
  void helpOfRunListsEveryFlag() {
    CliOutcome help = CliOutcome.execute("run", "--help");
    assertEquals(0, help.exitCode());
    CommandLine run = new CommandLine(new Distilflux()).getSubcommands().get("run");
    List<String> flags = run.getCommandSpec().options().stream().map(o -> o.longestName()).toList();
    assertTrue(flags.size() > 40, "the run command's options: " + flags);
    for (String flag : flags) {
      assertTrue(help.out().contains(flag), "--help of run does not list " + flag);
    }
  }

  static Stream<Arguments> badInvocations() {
    Path missingConfig = tempDir.resolve("absent.yaml");
    Path missingCifar = tempDir.resolve("no-cifar-here");
    return Stream.of(
        Arguments.of("a mini-epoch below 2", List.of("run", "--mini-epoch", "1"), "--mini-epoch"),
        Arguments.of("an unknown flag", List.of("run", "--no-such-flag"), "--no-such-flag"),
        Arguments.of("a missing config file", List.of("run", "--config", missingConfig.toString()),
            missingConfig.toString()),
        Arguments.of("bootstrap servers with the direct transport",
            List.of("run", "--bootstrap-servers", "x", "--transport", "direct"),
            "--bootstrap-servers"),
        Arguments.of("an unknown dataset", List.of("run", "--dataset", "imagenet"), "--dataset"),
        Arguments.of("an unknown teacher", List.of("run", "--teacher", "bogus"), "--teacher"),
        Arguments.of("an unknown student", List.of("run", "--student", "bogus"), "--student"),
        Arguments.of("a negative final scrape wait", List.of("run", "--final-scrape-wait", "-1"),
            "--final-scrape-wait"),
        Arguments.of("a meta-optimizer batch wait out of range", List.of("meta-optimizer",
            "--bootstrap-servers", "127.0.0.1:1", "--batch-wait-ms", "-1"), "--batch-wait-ms"),
        Arguments.of("a missing CIFAR-10 folder", List.of("run", "--dataset", "cifar10",
            "--data-dir", missingCifar.toString(), "--transport", "direct", "--metrics-port", "0",
            "--output", tempDir.resolve("out-cifar").toString()), missingCifar.toString()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInvocations")
  void badInputEndsWithOneLineNamingTheCulpritAndExitCode2(String what, List<String> args,
      String culprit) {
    CliOutcome outcome = CliOutcome.execute(args.toArray(String[]::new));
    assertEquals(2, outcome.exitCode(), what + "; stderr: " + outcome.err());
    List<String> lines = outcome.errLines();
    assertEquals(1, lines.size(), what + ": expected one line on stderr, got " + lines);
    assertTrue(lines.get(0).startsWith("distilflux: "), lines.get(0));
    assertTrue(lines.get(0).contains(culprit), "'" + lines.get(0) + "' should name " + culprit);
  }

  @Test
  void tinyDirectRunWritesOneResultRowPerRunAndPrintsTheTable() throws Exception {
    Path output = tempDir.resolve("tiny-run");
    CliOutcome outcome = CliOutcome.execute("run", "--transport", "direct", "--iterations", "30",
        "--seeds", "1", "--modes", "no-distillation,forecast", "--mini-epoch", "5",
        "--metrics-port", "0", "--output", output.toString(), "--teacher-steps", "100",
        "--train-size", "60", "--validation-size", "30", "--test-size", "60");
    assertEquals(0, outcome.exitCode(), "stderr: " + outcome.err());

    List<String> csv = Files.readAllLines(output.resolve("results.csv"));
    assertEquals(3, csv.size(), "header and one row per run: " + csv);
    assertTrue(csv.get(0).startsWith("run_id,"), csv.get(0));
    assertTrue(csv.stream().skip(1).anyMatch(l -> l.contains(",no-distillation,")), csv.toString());
    assertTrue(csv.stream().skip(1).anyMatch(l -> l.contains(",forecast,")), csv.toString());
    assertTrue(csv.get(0).endsWith(",failure,invocation"), csv.get(0));
    assertTrue(csv.stream().skip(1).allMatch(l -> l.split(",", -1)[12].isEmpty()),
        "no failure: " + csv);

    JsonNode json = new ObjectMapper().readTree(output.resolve("results.json").toFile());
    assertEquals(2, json.get("runs").size());
    assertTrue(outcome.out().contains("Test accuracy, synthetic"), outcome.out());
    assertTrue(outcome.out().lines().anyMatch(l -> l.startsWith("no-distillation")),
        outcome.out());
    assertTrue(outcome.out().lines().anyMatch(l -> l.startsWith("forecast")), outcome.out());
  }
}
