package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.record.RecordedRun;
import io.distilflux.pipeline.record.RunArchive;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code experiment} and {@code report} on a short real run: synthetic data, 60 iterations,
 * all five modes, two seeds and one extra forecast schedule, over the in-memory transport.
 */
class ExperimentReportTest {

  @TempDir static Path tempDir;

  private static Path experiment;
  private static CliOutcome experimentOutcome;



  /** The short experiment most tests look at, run once, by the first test that needs it. */
  private static synchronized CliOutcome shortExperiment() {
    if (experimentOutcome != null) {
      return experimentOutcome;
    }
    experiment = tempDir.resolve("synthetic");
    experimentOutcome = CliOutcome.execute("experiment", "synthetic", "--transport", "direct",
        "--iterations", "60", "--seeds", "2", "--mini-epoch", "5", "--schedules", "4:3",
        "--evaluate-every", "10", "--teacher-steps", "100", "--train-size", "15",
        "--validation-size", "15", "--test-size", "100", "--metrics-port", "0", "--parallel", "2",
        "--output", experiment.toString());
    return experimentOutcome;
  }

  private static List<Path> archives() throws Exception {
    assertEquals(0, shortExperiment().exitCode(), "stderr: " + experimentOutcome.err());
    try (Stream<Path> files = Files.list(experiment.resolve("events"))) {
      return files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
    }
  }

  @Test
  void experimentRecordsEveryRunWithTheServicesEvents() throws Exception {
    List<Path> archives = archives();
    assertEquals(12, archives.size(), "5 modes × 2 seeds + 1 schedule × 2 seeds: " + archives);
    for (Path file : archives) {
      RecordedRun run = RunArchive.read(file);
      assertTrue(run.events().get(0) instanceof RunStarted, file + " starts with RunStarted");
      RunConfig config = run.started().orElseThrow().config();
      RunFinished finished = run.finished().orElseThrow();
      assertEquals(null, finished.failure(), file.toString());
      List<TrainingStep> steps = run.eventsOf(TrainingStep.class);
      assertEquals(config.steps(), steps.size(), file + ": one TrainingStep per step");
      if (config.mode().optimisesMeta()) {
        // Published by the meta-optimizer, not the trainer: captured from the bus.
        List<MetaParams> updates = run.eventsOf(MetaParams.class);
        assertTrue(updates.size() >= finished.hypergradientSteps(),
            file + ": " + updates.size() + " updates for " + finished.hypergradientSteps()
                + " hypergradients");
      }
      if (config.mode() == RunConfig.Mode.FORECAST) {
        // Published by the monitor: one per period that has a forecast mini-epoch in the run.
        long period = (long) config.miniEpoch() * config.forecastEvery();
        long periods = (config.steps() - config.miniEpoch() + period - 1) / period;
        assertEquals(periods, run.eventsOf(TrajectoryForecast.class).size(), file.toString());
      }
    }
  }

  @Test
  void reportTableMatchesTheRecordedEvaluations() throws Exception {
    // Expected: each run's last Evaluation, grouped as the report groups them.
    Map<String, List<Double>> expected = new LinkedHashMap<>();
    for (Path file : archives()) {
      RecordedRun run = RunArchive.read(file);
      RunConfig config = run.started().orElseThrow().config();
      Evaluation last = run.eventsOf(Evaluation.class).stream()
          .max(Comparator.comparingLong(Evaluation::step)).orElseThrow();
      String group = config.mode() == RunConfig.Mode.FORECAST
          ? "forecast E=" + config.miniEpoch() + " n=" + config.forecastEvery()
          : config.mode().cliName();
      expected.computeIfAbsent(group, g -> new ArrayList<>()).add(last.testAccuracy());
    }
    List<String> csv = Files.readAllLines(experiment.resolve("report").resolve("summary.csv"));
    assertEquals("dataset,group,mode,runs,mean,std,paper", csv.get(0));
    assertEquals(expected.size(), csv.size() - 1, csv.toString());
    String page = Files.readString(experiment.resolve("report").resolve("report.md"));
    for (String line : csv.subList(1, csv.size())) {
      String[] cells = line.split(",", -1);
      List<Double> values = expected.get(cells[1]);
      assertNotNull(values, "unexpected group " + cells[1]);
      double mean = values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
      double ss = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum();
      double std = Math.sqrt(ss / (values.size() - 1));
      assertEquals(values.size(), Integer.parseInt(cells[3]), line);
      assertEquals(mean, Double.parseDouble(cells[4]), 1e-12, line);
      assertEquals(std, Double.parseDouble(cells[5]), 1e-12, line);
      String row = String.format(Locale.ROOT, "| %s | %d | %.4f ± %.4f |", cells[1],
          values.size(), mean, std);
      assertTrue(page.contains(row), "report.md lacks " + row + "\n" + page);
    }
    assertTrue(page.contains("| no-distillation | 2 |") && page.contains("0.7600 |"),
        "the paper's number beside ours:\n" + page);
  }

  @Test
  void reportChartsAreDecodablePngsWithContent() throws Exception {
    archives();
    Path report = experiment.resolve("report");
    for (String name : List.of("synthetic-accuracy.png", "synthetic-meta.png",
        "synthetic-accuracy-vs-meta.png", "synthetic-schedules.png")) {
      Path png = report.resolve(name);
      assertTrue(Files.size(png) > 0, name);
      BufferedImage image = ImageIO.read(png.toFile());
      assertNotNull(image, name + " decodes as an image");
      assertTrue(image.getWidth() >= 400 && image.getHeight() >= 250, name);
      Set<Integer> colours = new HashSet<>();
      for (int y = 0; y < image.getHeight(); y += 3) {
        for (int x = 0; x < image.getWidth(); x += 3) {
          colours.add(image.getRGB(x, y));
        }
      }
      assertTrue(colours.size() > 20, name + " has only " + colours.size() + " colours: blank?");
      assertTrue(Files.readString(report.resolve("report.md")).contains("](" + name + ")"),
          "report.md shows " + name);
    }
  }

  @Test
  void reportCommandOnArchivesWritesTheSameTable() throws Exception {
    Path out = tempDir.resolve("again");
    List<String> args = new ArrayList<>(List.of("report", "--output", out.toString()));
    archives().forEach(p -> args.add(p.toString()));
    CliOutcome outcome = CliOutcome.execute(args.toArray(String[]::new));
    assertEquals(0, outcome.exitCode(), "stderr: " + outcome.err());
    assertTrue(outcome.err().contains("report") && outcome.err().contains("100%"),
        "a progress bar: " + outcome.err());
    assertEquals(Files.readAllLines(experiment.resolve("report").resolve("summary.csv")),
        Files.readAllLines(out.resolve("summary.csv")));
    CliOutcome viaFolder = CliOutcome.execute("report", "--experiment", experiment.toString(), "--output",
        tempDir.resolve("via-folder").toString());
    assertEquals(0, viaFolder.exitCode(), "stderr: " + viaFolder.err());
    assertEquals(Files.readAllLines(out.resolve("summary.csv")),
        Files.readAllLines(tempDir.resolve("via-folder").resolve("summary.csv")));
  }

  @Test
  void experimentOverEmbeddedKafkaRecordsFromTheTopics() throws Exception {
    Path output = tempDir.resolve("over-kafka");
    CliOutcome outcome = CliOutcome.execute("experiment", "synthetic", "--iterations", "40", "--seeds", "1",
        "--modes", "no-distillation,forecast", "--mini-epoch", "5", "--evaluate-every", "20",
        "--teacher-steps", "100", "--train-size", "15", "--validation-size", "15",
        "--test-size", "100", "--metrics-port", "0", "--output", output.toString());
    assertEquals(0, outcome.exitCode(), "stderr: " + outcome.err());
    List<Path> files;
    try (Stream<Path> listing = Files.list(output.resolve("events"))) {
      files = listing.sorted().toList();
    }
    assertEquals(2, files.size(), files.toString());
    for (Path file : files) {
      RecordedRun run = RunArchive.read(file);
      RunConfig config = run.started().orElseThrow().config();
      assertEquals(40, run.eventsOf(TrainingStep.class).size(), file.toString());
      assertTrue(run.finished().isPresent(), file.toString());
      if (config.mode() == RunConfig.Mode.FORECAST) {
        assertEquals(4, run.eventsOf(TrajectoryForecast.class).size(), file.toString());
        assertTrue(run.eventsOf(MetaParams.class).size() >= 20, file.toString());
      }
    }
    assertTrue(Files.isRegularFile(output.resolve("report").resolve("synthetic-accuracy.png")));
  }

  @Test
  void truncatedArchiveIsOneLineNamingTheFile() throws Exception {
    Path source = archives().get(0);
    List<String> lines = Files.readAllLines(source);
    Path truncated = tempDir.resolve("truncated.jsonl");
    Files.write(truncated, lines.subList(0, lines.size() / 2));
    assertOneLineError(CliOutcome.execute("report", truncated.toString(), "--output",
        tempDir.resolve("r1").toString()), truncated.toString(), "truncated");
  }

  @Test
  void foreignJsonLinesFileIsOneLineNamingTheFile() throws Exception {
    Path foreign = tempDir.resolve("foreign.jsonl");
    Files.writeString(foreign, "{\"hello\":\"world\"}\n{\"a\":1}\n");
    assertOneLineError(CliOutcome.execute("report", foreign.toString(), "--output",
        tempDir.resolve("r2").toString()), foreign.toString(), "not a distilflux run archive");
  }

  @Test
  void unwritableOutputFolderIsOneLine() throws Exception {
    // A folder under a regular file can never be created, whoever runs the test.
    Path file = tempDir.resolve("a-file");
    Files.writeString(file, "x");
    Path output = file.resolve("report");
    assertOneLineError(CliOutcome.execute("report", archives().get(0).toString(), "--output",
        output.toString()), output.toString(), "cannot");
  }

  @Test
  void experimentTakesEveryFlagOfRun() {
    CliOutcome help = CliOutcome.execute("experiment", "--help");
    assertEquals(0, help.exitCode());
    Map<String, CommandLine> commands = new CommandLine(new Distilflux()).getSubcommands();
    List<String> flags = new ArrayList<>(commands.get("run").getCommandSpec().options().stream()
        .map(o -> o.longestName()).toList());
    flags.add("--schedules");
    List<String> experimentFlags = commands.get("experiment").getCommandSpec().options().stream()
        .map(o -> o.longestName()).toList();
    for (String flag : flags) {
      assertTrue(experimentFlags.contains(flag), "experiment does not take " + flag);
      assertTrue(help.out().contains(flag), "--help of experiment does not list " + flag);
    }
  }

  @Test
  void missingExperimentFolderAndNoInputAreOneLine() {
    Path missing = tempDir.resolve("no-such-experiment");
    assertOneLineError(CliOutcome.execute("report", "--experiment", missing.toString()), missing.toString(),
        "not found");
    assertOneLineError(CliOutcome.execute("report"), "FILE", "--experiment");
    assertOneLineError(CliOutcome.execute("experiment", "imagenet"), "imagenet", "unknown value",
        "DATASET");
    assertOneLineError(CliOutcome.execute("experiment", "synthetic", "--schedules", "10-2"), "--schedules",
        "10-2");
  }

  private static void assertOneLineError(CliOutcome outcome, String... mentions) {
    assertEquals(2, outcome.exitCode(), "stderr: " + outcome.err());
    List<String> lines = outcome.errLines();
    assertEquals(1, lines.size(), "one line on stderr, got " + lines);
    assertTrue(lines.get(0).startsWith("distilflux: "), lines.get(0));
    for (String mention : mentions) {
      assertTrue(lines.get(0).contains(mention), "'" + lines.get(0) + "' should name " + mention);
    }
    assertFalse(lines.get(0).contains("Exception"), lines.get(0));
  }

}
