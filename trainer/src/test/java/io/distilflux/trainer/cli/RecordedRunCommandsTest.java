package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.monitor.replay.ForecastWhatIf;
import io.distilflux.monitor.replay.ReplaySpeed;
import io.distilflux.monitor.replay.RunReplay;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.kafka.EmbeddedKafka;
import io.distilflux.pipeline.record.KafkaRunReader;
import io.distilflux.pipeline.record.RecordedRun;
import io.distilflux.pipeline.record.RunArchive;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Record, export, import and replay as a user runs them: a short {@code forecast} run trained
 * through the embedded broker, then the commands against that broker.
 */
class RecordedRunCommandsTest {

  private static final int STEPS = 30;
  private static final int MINI_EPOCH = 5;
  private static final int FORECAST_EVERY = 2;

  @TempDir static Path dir;
  private static EmbeddedKafka kafka;
  private static String runId;
  private static Path archive;



  @BeforeAll
  static void recordAShortForecastRun() throws Exception {
    kafka = EmbeddedKafka.start();
    Path output = dir.resolve("results");
    CliOutcome run = CliOutcome.execute("run", "--bootstrap-servers", kafka.bootstrapServers(),
        "--iterations", Integer.toString(STEPS), "--modes", "forecast", "--seeds", "1",
        "--mini-epoch", Integer.toString(MINI_EPOCH),
        "--forecast-every", Integer.toString(FORECAST_EVERY), "--evaluate-every", "10",
        "--metrics-port", "0", "--output", output.toString(), "--teacher-steps", "100",
        "--train-size", "60", "--validation-size", "30", "--test-size", "60");
    assertEquals(0, run.exitCode(), "stderr: " + run.err());
    runId = Files.readAllLines(output.resolve("results.csv")).get(1).split(",")[0];
    archive = dir.resolve("exported").resolve(runId + ".jsonl");
    CliOutcome export = CliOutcome.execute("export", "--bootstrap-servers", kafka.bootstrapServers(),
        "--run", runId, "--output", archive.toString());
    assertEquals(0, export.exitCode(), "stderr: " + export.err());
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static RecordedRun readFromKafka(String prefix, String id) {
    try (KafkaRunReader reader =
        KafkaRunReader.connect(kafka.bootstrapServers(), new Topics(prefix))) {
      return reader.read(id);
    }
  }

  @Test
  void runsListsTheRecordedRunWithItsConfigurationAndAccuracy() {
    CliOutcome runs = CliOutcome.execute("runs", "--bootstrap-servers", kafka.bootstrapServers());
    assertEquals(0, runs.exitCode(), runs.err());
    String line = runs.out().lines().filter(l -> l.startsWith(runId)).findFirst().orElseThrow();
    assertTrue(line.matches(".*synthetic\\s+forecast\\s+42\\s+" + STEPS + "\\s+" + MINI_EPOCH
        + "\\s+" + FORECAST_EVERY + "\\s+finished\\s+[01]\\.\\d{4}"), line);
  }

  @Test
  void reportOfARunIdReadsItFromKafkaAndKeepsItsArchiveBesideThePage() throws Exception {
    Path target = dir.resolve("report-from-kafka");
    CliOutcome report = CliOutcome.execute("report", "--bootstrap-servers", kafka.bootstrapServers(),
        "--run", runId, "--output", target.toString());
    assertEquals(0, report.exitCode(), report.err());
    Path copy = target.resolve("events").resolve(runId + ".jsonl");
    assertEquals(RunArchive.read(archive), RunArchive.read(copy));
    String page = Files.readString(target.resolve("report.md"));
    assertTrue(page.contains(runId), page);
  }

  @Test
  void exportImportReplayRoundTripKeepsEveryEventAndReproducesTheForecasts() {
    RecordedRun recorded = readFromKafka(Topics.DEFAULT_PREFIX, runId);
    RecordedRun exported = RunArchive.read(archive);
    assertEquals(recorded, exported, "the archive holds the recorded events in order");
    assertEquals(STEPS, exported.eventsOf(TrainingStep.class).size());
    List<TrajectoryForecast> forecasts = exported.eventsOf(TrajectoryForecast.class);
    assertEquals(STEPS / (MINI_EPOCH * FORECAST_EVERY), forecasts.size());
    assertTrue(exported.started().isPresent() && exported.finished().isPresent());

    CliOutcome imported = CliOutcome.execute("import", "--bootstrap-servers", kafka.bootstrapServers(),
        "--topic-prefix", "copy.", archive.toString());
    assertEquals(0, imported.exitCode(), imported.err());
    assertEquals(exported, readFromKafka("copy.", runId), "the import holds the same events");

    CliOutcome replay = CliOutcome.execute("replay", "--bootstrap-servers", kafka.bootstrapServers(),
        "--topic-prefix", "copy.", "--run", runId, "--as", runId + "-again",
        "--metrics-port", "0");
    assertEquals(0, replay.exitCode(), replay.err());
    assertTrue(replay.out().contains("replayed " + (exported.events().size()
        - forecasts.size() - exported.eventsOf(io.distilflux.pipeline.event.MetaParams.class)
        .size()) + " events (" + STEPS + " steps)"), replay.out());
    assertTrue(replay.out().contains("forecasts: " + forecasts.size()
        + " recomputed, all identical"), replay.out());

    try (RunReplay direct = RunReplay.start(
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), "127.0.0.1", 0)) {
      RunReplay.Result result = direct.replay(exported, "again", ReplaySpeed.max());
      assertEquals(forecasts.size(), result.replayedForecasts().size());
      for (int i = 0; i < forecasts.size(); i++) {
        assertEquals(forecasts.get(i).slope(), result.replayedForecasts().get(i).slope());
        assertEquals(forecasts.get(i).intercept(), result.replayedForecasts().get(i).intercept());
      }
    }
  }

  @Test
  void whatIfWithTheRecordedMiniEpochAndPeriodHasZeroErrorAndOthersDoNot() {
    RecordedRun run = RunArchive.read(archive);
    ForecastWhatIf.Error own = ForecastWhatIf.evaluate(run, MINI_EPOCH, FORECAST_EVERY);
    assertTrue(own.comparedSteps() > 0);
    for (int i = 0; i < 3; i++) {
      assertEquals(0.0, own.maxB()[i]);
      assertEquals(0.0, own.maxLambda()[i]);
    }
    ForecastWhatIf.Error other = ForecastWhatIf.evaluate(run, 3, 3);
    assertTrue(other.comparedSteps() > 0);
    assertTrue(other.maxB()[0] + other.maxB()[1] + other.maxB()[2] > 0, "another fit differs");

    CliOutcome cli = CliOutcome.execute("replay", "--file", archive.toString(), "--mini-epoch", "3,5",
        "--forecast-every", "2,3");
    assertEquals(0, cli.exitCode(), cli.err());
    assertTrue(cli.out().lines().anyMatch(l -> l.trim().startsWith("*" + MINI_EPOCH + " ")
        && l.contains(" 0.00 ")), cli.out());
    assertEquals(4, cli.out().lines().filter(l -> l.trim().matches("\\*?\\d+ +\\d+ +\\d+%.*"))
        .count(), cli.out());
  }

  @Test
  void importingARunAlreadyOnTheClusterIsRefusedOnOneLine() {
    CliOutcome again = CliOutcome.execute("import", "--bootstrap-servers", kafka.bootstrapServers(),
        archive.toString());
    assertEquals(2, again.exitCode(), again.err());
    assertEquals(1, again.errLines().size(), again.err());
    assertTrue(again.errLines().get(0).contains("already recorded"), again.err());
  }

  static Stream<Arguments> badInput() throws Exception {
    Path truncated = dir.resolve("truncated.jsonl");
    List<String> lines = Files.readAllLines(archive);
    Files.write(truncated, lines.subList(0, lines.size() - 3));
    Path foreign = dir.resolve("results.csv");
    Files.writeString(foreign, "run_id,mode\nx,forecast\n");
    Path aFile = dir.resolve("a-file");
    Files.writeString(aFile, "not a folder");
    String servers = kafka.bootstrapServers();
    return Stream.of(
        Arguments.of("an unknown run id",
            List.of("export", "--bootstrap-servers", servers, "--run", "no-such-run",
                "--output", dir.resolve("x.jsonl").toString()), "unknown run no-such-run"),
        Arguments.of("an unknown run id to report",
            List.of("report", "--bootstrap-servers", servers, "--run", "no-such-run",
                "--output", dir.resolve("no-report").toString()), "unknown run no-such-run"),
        Arguments.of("an unknown run id to replay",
            List.of("replay", "--bootstrap-servers", servers, "--run", "no-such-run"),
            "unknown run no-such-run"),
        Arguments.of("a truncated archive", List.of("import", "--bootstrap-servers", servers,
            truncated.toString()), "truncated"),
        Arguments.of("a foreign file", List.of("replay", "--file", foreign.toString()),
            "not a distilflux run archive"),
        Arguments.of("an unwritable output folder",
            List.of("export", "--bootstrap-servers", servers, "--run", runId, "--output",
                aFile.resolve("out.jsonl").toString()), "cannot write"),
        Arguments.of("no cluster", List.of("runs"), "--bootstrap-servers"),
        Arguments.of("a missing --kafka-dir",
            List.of("runs", "--kafka-dir", dir.resolve("absent").toString()), "--kafka-dir"),
        Arguments.of("a bad speed", List.of("replay", "--file", archive.toString(), "--speed",
            "fast"), "--speed"),
        Arguments.of("a mini-epoch below 2", List.of("replay", "--file", archive.toString(),
            "--mini-epoch", "1"), "--mini-epoch"),
        Arguments.of("both --run and --file", List.of("replay", "--file", archive.toString(),
            "--run", runId), "mutually exclusive"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInput")
  void badInputEndsWithOneLineAndExitCode2(String what, List<String> args, String culprit) {
    CliOutcome outcome = CliOutcome.execute(args.toArray(String[]::new));
    assertEquals(2, outcome.exitCode(), what + "; stderr: " + outcome.err());
    List<String> lines = outcome.errLines();
    assertEquals(1, lines.size(), what + ": expected one line on stderr, got " + lines);
    assertTrue(lines.get(0).startsWith("distilflux: "), lines.get(0));
    assertTrue(lines.get(0).contains(culprit), "'" + lines.get(0) + "' should name " + culprit);
    assertFalse(outcome.out().contains("exported"), outcome.out());
  }
}
