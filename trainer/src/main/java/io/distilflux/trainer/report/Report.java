package io.distilflux.trainer.report;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.DatasetKind;
import io.distilflux.pipeline.event.RunConfig.Mode;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.record.RunArchive;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.function.Function;
import javax.imageio.ImageIO;

/**
 * A report on recorded runs ({@link RunArchive} files): PNG charts and a Markdown page,
 * {@code report.md}, with a table in the form of the paper's Table 1, plus {@code summary.csv}.
 * Per dataset among the runs:
 *
 * <ul>
 *   <li>{@code <dataset>-accuracy.png}: test accuracy vs iteration per mode, mean ± std over
 *       seeds;
 *   <li>{@code <dataset>-meta.png}: λ1, λ2 and T vs iteration of one seed's forecast run, its
 *       hypergradient-phase and predicted steps apart, forecast windows shaded, beside the same
 *       seed's hypergradient-every-step run;
 *   <li>{@code <dataset>-accuracy-vs-meta.png}: final test accuracy vs the final λ1 and vs
 *       log10 T, one point per distilling run;
 *   <li>{@code <dataset>-schedules.png}: test accuracy vs iteration per forecast schedule
 *       (E, n), when the runs have several.
 * </ul>
 *
 * <p>A run's result is its last {@link Evaluation}'s test accuracy. Archives are read one at a
 * time and reduced to {@link RunSeries}, so memory holds one run's events at most.
 */
public final class Report {

  static {
    // Charts are drawn off screen; no display is needed or wanted.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /** Receives the report's progress: {@code done} of {@code total} units. */
  public interface Progress {
    /** Called after each archive read and each chart drawn. */
    void update(String what, int done, int total);
  }

  /**
   * One row of the Table-1-style table.
   *
   * @param dataset the runs' dataset
   * @param group the mode, or mode and schedule ({@link RunLabels})
   * @param mode the runs' mode
   * @param runs how many runs the row averages
   * @param mean mean final test accuracy
   * @param std sample standard deviation (0 for one run)
   * @param paper the paper's number, where it has one
   */
  public record Row(DatasetKind dataset, String group, Mode mode, int runs, double mean,
      double std, OptionalDouble paper) {}

  /**
   * What was written.
   *
   * @param page the Markdown page
   * @param charts the PNG files
   * @param rows the table
   * @param failedRuns runs whose archive records a failure (left out of the table)
   */
  public record Result(Path page, List<Path> charts, List<Row> rows, List<String> failedRuns) {}

  private static final Color GREY = new Color(0x999999);

  private Report() {}

  /**
   * Reads the archives and writes the report into {@code outputDir} (created).
   *
   * @throws RunArchive.ArchiveException when an archive cannot be read (one line naming it)
   * @throws IllegalArgumentException when a run lacks what a report needs, or a run id is
   *     given twice
   * @throws UncheckedIOException when the output folder cannot be written
   */
  public static Result write(List<Path> archives, Path outputDir, Progress progress) {
    if (archives.isEmpty()) {
      throw new IllegalArgumentException("no run archives to report on");
    }
    prepare(outputDir);
    List<DatasetKind> datasets = new ArrayList<>();
    Map<DatasetKind, List<RunSeries>> byDataset = new TreeMap<>();
    Map<String, Path> seen = new LinkedHashMap<>();
    int total = archives.size() + 4;
    int done = 0;
    for (Path file : archives) {
      RunSeries series = RunSeries.of(RunArchive.read(file), file.toString());
      Path before = seen.putIfAbsent(series.runId(), file);
      if (before != null) {
        throw new IllegalArgumentException("run " + series.runId() + " is given twice: " + before
            + " and " + file);
      }
      byDataset.computeIfAbsent(series.config().dataset(), d -> new ArrayList<>()).add(series);
      progress.update("read " + file.getFileName(), ++done, total);
    }
    datasets.addAll(byDataset.keySet());
    total = archives.size() + 4 * datasets.size();
    List<Path> charts = new ArrayList<>();
    List<Row> rows = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    StringBuilder page = new StringBuilder("# distilflux report\n\n");
    page.append(String.format(Locale.ROOT,
        "%d recorded run(s). A run's result is the test accuracy of its last evaluation; "
            + "rows give the mean ± sample standard deviation over seeds.%n%n", archives.size()));
    for (DatasetKind dataset : datasets) {
      List<RunSeries> all = new ArrayList<>(byDataset.get(dataset));
      all.sort(Comparator.comparing(RunSeries::config, RunLabels.order())
          .thenComparingLong(s -> s.config().seed()));
      List<RunSeries> runs = all.stream().filter(RunSeries::succeeded).toList();
      all.stream().filter(s -> !s.succeeded()).forEach(s -> failed.add(s.runId()));
      String name = dataset.name().toLowerCase(Locale.ROOT);
      Function<RunConfig, String> label =
          RunLabels.labeller(runs.stream().map(RunSeries::config).toList());
      Map<String, List<RunSeries>> groups = new LinkedHashMap<>();
      for (RunSeries s : runs) {
        groups.computeIfAbsent(label.apply(s.config()), g -> new ArrayList<>()).add(s);
      }
      List<Row> table = table(dataset, groups);
      rows.addAll(table);
      page.append("## ").append(name).append("\n\n");
      appendTable(page, table, all.size() - runs.size());
      String[][] drawn = {
        {name + "-accuracy.png", "Test accuracy vs iteration per mode (mean ± std over seeds)"},
        {name + "-meta.png", "λ1, λ2 and T vs iteration: one seed's forecast run "
            + "(hypergradient phase vs predicted, forecast windows shaded) and its "
            + "hypergradient-every-step run"},
        {name + "-accuracy-vs-meta.png", "Final test accuracy vs final λ1 and vs log10 T, "
            + "one point per distilling run"},
        {name + "-schedules.png", "Test accuracy vs iteration for several E and n "
            + "(forecast runs)"}
      };
      List<Optional<BufferedImage>> images = new ArrayList<>();
      images.add(Optional.of(accuracyChart(name, baseGroups(groups))));
      images.add(metaChart(name, runs, label));
      images.add(scatterChart(name, runs));
      images.add(schedulesChart(name, groups));
      for (int i = 0; i < drawn.length; i++) {
        if (images.get(i).isPresent()) {
          Path file = outputDir.resolve(drawn[i][0]);
          writePng(images.get(i).get(), file);
          charts.add(file);
          page.append("![").append(drawn[i][1]).append("](").append(drawn[i][0]).append(")\n\n")
              .append("*").append(drawn[i][1]).append(".*\n\n");
        }
        progress.update("chart " + drawn[i][0], ++done, total);
      }
      appendRuns(page, all, label);
    }
    Path pageFile = outputDir.resolve("report.md");
    writeText(pageFile, page.toString());
    writeText(outputDir.resolve("summary.csv"), csv(rows));
    return new Result(pageFile, charts, rows, failed);
  }

  private static void prepare(Path outputDir) {
    try {
      Files.createDirectories(outputDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the report folder " + outputDir + ": "
          + e.getMessage(), e);
    }
    if (!Files.isWritable(outputDir)) {
      throw new UncheckedIOException(new IOException(
          "cannot write the report to " + outputDir + ": folder is not writable"));
    }
  }

  private static List<Row> table(DatasetKind dataset, Map<String, List<RunSeries>> groups) {
    List<Row> rows = new ArrayList<>();
    groups.forEach((group, runs) -> {
      double[] values = runs.stream().mapToDouble(RunSeries::finalTestAccuracy).toArray();
      Mode mode = runs.get(0).config().mode();
      rows.add(new Row(dataset, group, mode, values.length, mean(values), std(values),
          PaperTable.accuracy(dataset, mode)));
    });
    return rows;
  }

  private static void appendTable(StringBuilder page, List<Row> rows, int failed) {
    page.append("| mode | runs | test accuracy (mean ± std) | paper (Table 1) |\n")
        .append("|---|---|---|---|\n");
    for (Row r : rows) {
      page.append(String.format(Locale.ROOT, "| %s | %d | %.4f ± %.4f | %s |%n", r.group(),
          r.runs(), r.mean(), r.std(),
          r.paper().isPresent() ? String.format(Locale.ROOT, "%.4f", r.paper().getAsDouble()) : "—"));
    }
    page.append('\n');
    if (failed > 0) {
      page.append(failed).append(" failed run(s) left out of the table (see the runs below).\n\n");
    }
  }

  private static void appendRuns(StringBuilder page, List<RunSeries> runs,
      Function<RunConfig, String> label) {
    page.append("<details><summary>Runs</summary>\n\n")
        .append("| run | mode | seed | E | n | steps | final test accuracy | hypergradient steps "
            + "| forecast steps | wall s | failure |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (RunSeries s : runs) {
      RunConfig c = s.config();
      Optional<RunFinished> f = s.finished();
      page.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d | %.4f | %s | %s | %s | %s |%n",
          s.runId(), label.apply(c), c.seed(), c.miniEpoch(), c.forecastEvery(), c.steps(),
          s.finalTestAccuracy(),
          f.map(x -> Long.toString(x.hypergradientSteps())).orElse("—"),
          f.map(x -> Long.toString(x.forecastSteps())).orElse("—"),
          f.map(x -> String.format(Locale.ROOT, "%.1f", x.wallSeconds())).orElse("—"),
          f.map(RunFinished::failure).orElse("not finished") == null ? ""
              : f.map(RunFinished::failure).orElse("not finished")));
    }
    page.append("\n</details>\n\n");
  }

  private static String csv(List<Row> rows) {
    StringBuilder csv = new StringBuilder("dataset,group,mode,runs,mean,std,paper\n");
    for (Row r : rows) {
      csv.append(String.join(",", r.dataset().name().toLowerCase(Locale.ROOT), r.group(),
          r.mode().cliName(), Integer.toString(r.runs()), Double.toString(r.mean()),
          Double.toString(r.std()),
          r.paper().isPresent() ? Double.toString(r.paper().getAsDouble()) : "")).append('\n');
    }
    return csv.toString();
  }

  /** The groups of the accuracy chart: every mode, forecast only at the experiment's schedule. */
  private static Map<String, List<RunSeries>> baseGroups(Map<String, List<RunSeries>> groups) {
    Optional<String> base = baseSchedule(groups);
    Map<String, List<RunSeries>> out = new LinkedHashMap<>();
    groups.forEach((group, runs) -> {
      RunConfig c = runs.get(0).config();
      if (c.mode() != Mode.FORECAST || base.isEmpty() || base.get().equals(RunLabels.schedule(c))) {
        out.put(group, runs);
      }
    });
    return out;
  }

  /**
   * The schedule the experiment's other modes were configured with (their E and n), or the
   * first forecast schedule when there are only forecast runs.
   */
  private static Optional<String> baseSchedule(Map<String, List<RunSeries>> groups) {
    return groups.values().stream()
        .map(runs -> runs.get(0).config())
        .filter(c -> c.mode() != Mode.FORECAST)
        .map(RunLabels::schedule)
        .findFirst()
        .or(() -> groups.values().stream().map(runs -> runs.get(0).config())
            .filter(c -> c.mode() == Mode.FORECAST).map(RunLabels::schedule).findFirst());
  }

  private static BufferedImage accuracyChart(String dataset, Map<String, List<RunSeries>> shown) {
    Chart chart = new Chart(dataset + ": test accuracy vs iteration (mean ± std over seeds)",
        "iteration", "test accuracy");
    int colour = 0;
    for (Map.Entry<String, List<RunSeries>> e : shown.entrySet()) {
      Color c = Chart.PALETTE[colour++ % Chart.PALETTE.length];
      meanCurve(chart, e.getKey() + " (" + e.getValue().size() + ")", c, e.getValue());
    }
    return Chart.figure(List.of(chart), 1, 900, 520);
  }

  private static void meanCurve(Chart chart, String name, Color colour, List<RunSeries> runs) {
    TreeMap<Long, List<Double>> byStep = new TreeMap<>();
    for (RunSeries s : runs) {
      for (Evaluation e : s.evaluations()) {
        byStep.computeIfAbsent(e.step(), k -> new ArrayList<>()).add(e.testAccuracy());
      }
    }
    int n = byStep.size();
    double[] x = new double[n];
    double[] mean = new double[n];
    double[] low = new double[n];
    double[] high = new double[n];
    int i = 0;
    for (Map.Entry<Long, List<Double>> e : byStep.entrySet()) {
      double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
      x[i] = e.getKey() + 1;
      mean[i] = mean(v);
      double sd = std(v);
      low[i] = mean[i] - sd;
      high[i] = mean[i] + sd;
      i++;
    }
    chart.band(colour, x, low, high);
    chart.line(name, colour, x, mean, 2f);
  }

  private static Optional<BufferedImage> metaChart(String dataset, List<RunSeries> runs,
      Function<RunConfig, String> label) {
    Optional<String> base = baseSchedule(groupsOf(runs, label));
    Optional<RunSeries> forecast = runs.stream()
        .filter(s -> s.config().mode() == Mode.FORECAST)
        .filter(s -> base.isEmpty() || base.get().equals(RunLabels.schedule(s.config())))
        .min(Comparator.comparingLong(s -> s.config().seed()));
    Optional<RunSeries> hyper = runs.stream()
        .filter(s -> s.config().mode() == Mode.HYPERGRADIENT)
        .filter(s -> forecast.isEmpty() || s.config().seed() == forecast.get().config().seed())
        .min(Comparator.comparingLong(s -> s.config().seed()));
    if (forecast.isEmpty() && hyper.isEmpty()) {
      return Optional.empty();
    }
    long seed = forecast.orElseGet(hyper::get).config().seed();
    String[] names = {"λ1", "λ2", "T"};
    List<Chart> panels = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      Chart chart = new Chart(dataset + ": " + names[k] + " vs iteration (seed " + seed + ")",
          "iteration", names[k]);
      if (hyper.isPresent()) {
        RunSeries h = hyper.get();
        chart.line("hypergradient mode (every step)", GREY, iterations(h), values(h, k), 1.5f);
      }
      if (forecast.isPresent()) {
        RunSeries f = forecast.get();
        double[] x = iterations(f);
        double[] all = values(f, k);
        double end = f.config().steps();
        chart.spans("forecast windows", Chart.PALETTE[4], f.forecastWindows().stream()
            .filter(w -> w[0] + 1 <= end)
            .map(w -> new double[] {w[0] + 1, Math.min(w[1] + 1, end)}).toList());
        chart.line("forecast mode: hypergradient phase", Chart.PALETTE[0], x,
            only(all, f.phases(), Phase.HYPERGRADIENT), 2f);
        chart.line("forecast mode: predicted", Chart.PALETTE[1], x,
            only(all, f.phases(), Phase.FORECAST), 2f);
      }
      panels.add(chart);
    }
    return Optional.of(Chart.figure(panels, 1, 900, 300));
  }

  private static Map<String, List<RunSeries>> groupsOf(List<RunSeries> runs,
      Function<RunConfig, String> label) {
    Map<String, List<RunSeries>> groups = new LinkedHashMap<>();
    for (RunSeries s : runs) {
      groups.computeIfAbsent(label.apply(s.config()), g -> new ArrayList<>()).add(s);
    }
    return groups;
  }

  private static double[] iterations(RunSeries s) {
    double[] x = new double[s.steps().length];
    for (int i = 0; i < x.length; i++) {
      x[i] = s.steps()[i] + 1;
    }
    return x;
  }

  private static double[] values(RunSeries s, int k) {
    return k == 0 ? s.lambda1() : k == 1 ? s.lambda2() : s.temperature();
  }

  /** The values of the steps of one phase; NaN elsewhere, which breaks the line. */
  private static double[] only(double[] values, Phase[] phases, Phase phase) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = phases[i] == phase ? values[i] : Double.NaN;
    }
    return out;
  }

  private static Optional<BufferedImage> scatterChart(String dataset, List<RunSeries> runs) {
    Map<Mode, List<RunSeries>> byMode = new LinkedHashMap<>();
    for (RunSeries s : runs) {
      if (s.config().mode() != Mode.NO_DISTILLATION && s.steps().length > 0) {
        byMode.computeIfAbsent(s.config().mode(), m -> new ArrayList<>()).add(s);
      }
    }
    if (byMode.isEmpty()) {
      return Optional.empty();
    }
    Chart l1 = new Chart(dataset + ": test accuracy vs final λ1", "λ1", "final test accuracy");
    Chart t = new Chart(dataset + ": test accuracy vs final log10 T", "log10 T",
        "final test accuracy");
    for (Map.Entry<Mode, List<RunSeries>> e : byMode.entrySet()) {
      Color c = Chart.PALETTE[e.getKey().ordinal() % Chart.PALETTE.length];
      List<RunSeries> list = e.getValue();
      double[] acc = list.stream().mapToDouble(RunSeries::finalTestAccuracy).toArray();
      double[] lambda1 = list.stream().mapToDouble(s -> s.lambda1()[s.last()]).toArray();
      double[] logT = list.stream().mapToDouble(s -> Math.log10(s.temperature()[s.last()])).toArray();
      l1.points(e.getKey().cliName(), c, lambda1, acc);
      t.points(e.getKey().cliName(), c, logT, acc);
    }
    return Optional.of(Chart.figure(List.of(l1, t), 2, 560, 440));
  }

  private static Optional<BufferedImage> schedulesChart(String dataset,
      Map<String, List<RunSeries>> groups) {
    List<Map.Entry<String, List<RunSeries>>> forecasts = groups.entrySet().stream()
        .filter(e -> e.getValue().get(0).config().mode() == Mode.FORECAST)
        .toList();
    if (forecasts.size() < 2) {
      return Optional.empty();
    }
    Chart chart = new Chart(dataset + ": test accuracy vs iteration for several E and n",
        "iteration", "test accuracy");
    int colour = 0;
    for (Map.Entry<String, List<RunSeries>> e : groups.entrySet()) {
      if (e.getValue().get(0).config().mode() == Mode.HYPERGRADIENT) {
        meanCurve(chart, e.getKey() + " (every step)", GREY, e.getValue());
      }
    }
    for (Map.Entry<String, List<RunSeries>> e : forecasts) {
      meanCurve(chart, e.getKey() + " (" + e.getValue().size() + ")",
          Chart.PALETTE[colour++ % Chart.PALETTE.length], e.getValue());
    }
    return Optional.of(Chart.figure(List.of(chart), 1, 900, 520));
  }

  private static void writePng(BufferedImage image, Path file) {
    try {
      if (!ImageIO.write(image, "png", file.toFile())) {
        throw new IOException("no PNG writer");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private static void writeText(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  static double mean(double[] v) {
    double sum = 0;
    for (double x : v) {
      sum += x;
    }
    return v.length == 0 ? Double.NaN : sum / v.length;
  }

  /** Sample standard deviation; 0 for fewer than two values. */
  static double std(double[] v) {
    if (v.length < 2) {
      return 0;
    }
    double m = mean(v);
    double ss = 0;
    for (double x : v) {
      ss += (x - m) * (x - m);
    }
    return Math.sqrt(ss / (v.length - 1));
  }
}
