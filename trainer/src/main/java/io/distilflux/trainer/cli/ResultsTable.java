package io.distilflux.trainer.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.DatasetKind;
import io.distilflux.pipeline.event.RunConfig.Mode;
import io.distilflux.pipeline.event.RunFinished;
import java.io.IOException;
import java.io.PrintStream;
import io.distilflux.trainer.report.PaperTable;
import io.distilflux.trainer.report.RunLabels;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.function.Function;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Test accuracy per mode (mean ± std over seeds) next to the paper's Table 1, printed, and its
 * rows and JSON for {@link ResultsFiles}.
 */
final class ResultsTable {

  /** One finished run. */
  record RunResult(String runId, RunConfig config, RunFinished finished) {
    double testAccuracy() {
      return finished.finalEvaluation() == null ? Double.NaN : finished.finalEvaluation().testAccuracy();
    }
  }

  /**
   * Mean and sample standard deviation of a group's test accuracies; a group is a mode, or a
   * forecast schedule when the experiment has several ({@link RunLabels}).
   */
  record ModeSummary(String group, Mode mode, int runs, double mean, double std, Double paper) {}

  /**
   * A group's paired gain over no-distillation: the mean of its runs' test accuracy minus that
   * of the no-distillation run of the same seed, with a 95 % Student-t interval (NaN bounds
   * below two pairs).
   */
  record Gain(String group, int pairs, double mean, double low, double high) {}

  private final DatasetKind dataset;
  private final List<RunResult> results;

  ResultsTable(DatasetKind dataset, List<RunResult> results) {
    this.dataset = dataset;
    this.results = List.copyOf(results);
  }

  /** The paper's Table 1 where it reports the mode (docs/method.md §5). */
  static Double paperAccuracy(DatasetKind dataset, Mode mode) {
    OptionalDouble paper = PaperTable.accuracy(dataset, mode);
    return paper.isPresent() ? paper.getAsDouble() : null;
  }

  List<ModeSummary> summaries() {
    Function<RunConfig, String> label =
        RunLabels.labeller(results.stream().map(RunResult::config).toList());
    Map<String, List<Double>> byGroup = new LinkedHashMap<>();
    Map<String, Mode> modes = new LinkedHashMap<>();
    results.stream()
        .filter(r -> r.finished.failure() == null && !Double.isNaN(r.testAccuracy()))
        .sorted(Comparator.comparing(RunResult::config, RunLabels.order()))
        .forEach(r -> {
          String group = label.apply(r.config);
          byGroup.computeIfAbsent(group, g -> new ArrayList<>()).add(r.testAccuracy());
          modes.put(group, r.config.mode());
        });
    List<ModeSummary> out = new ArrayList<>();
    for (Map.Entry<String, List<Double>> e : byGroup.entrySet()) {
      List<Double> values = e.getValue();
      double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
      double var = values.size() < 2 ? 0
          : values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum() / (values.size() - 1);
      Mode mode = modes.get(e.getKey());
      out.add(new ModeSummary(e.getKey(), mode, values.size(), mean, Math.sqrt(var),
          paperAccuracy(dataset, mode)));
    }
    return out;
  }

  /** Every group's paired gain over no-distillation; empty without no-distillation runs. */
  List<Gain> gains() {
    Function<RunConfig, String> label =
        RunLabels.labeller(results.stream().map(RunResult::config).toList());
    Map<Long, Double> baseline = new LinkedHashMap<>();
    Map<String, List<Double>> differences = new LinkedHashMap<>();
    List<RunResult> finished = results.stream()
        .filter(r -> r.finished.failure() == null && !Double.isNaN(r.testAccuracy()))
        .sorted(Comparator.comparing(RunResult::config, RunLabels.order()))
        .toList();
    finished.stream().filter(r -> r.config.mode() == Mode.NO_DISTILLATION)
        .forEach(r -> baseline.put(r.config.seed(), r.testAccuracy()));
    for (RunResult r : finished) {
      Double alone = baseline.get(r.config.seed());
      if (r.config.mode() != Mode.NO_DISTILLATION && alone != null) {
        differences.computeIfAbsent(label.apply(r.config), g -> new ArrayList<>())
            .add(r.testAccuracy() - alone);
      }
    }
    List<Gain> gains = new ArrayList<>();
    differences.forEach((group, values) -> gains.add(gain(group, values)));
    return gains;
  }

  /** Mean and 95 % Student-t interval of paired differences. */
  static Gain gain(String group, List<Double> differences) {
    int n = differences.size();
    double mean = differences.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    if (n < 2) {
      return new Gain(group, n, mean, Double.NaN, Double.NaN);
    }
    double variance = differences.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum() / (n - 1);
    double half = new org.apache.commons.math3.distribution.TDistribution(n - 1)
        .inverseCumulativeProbability(0.975) * Math.sqrt(variance / n);
    return new Gain(group, n, mean, mean - half, mean + half);
  }

  void print(PrintStream out) {
    out.println();
    out.printf("Test accuracy, %s (mean ± std over seeds)%n", dataset.name().toLowerCase(Locale.ROOT));
    out.printf("%-18s %5s  %-17s %s%n", "mode", "runs", "this project", "paper (Table 1)");
    for (ModeSummary s : summaries()) {
      out.printf(Locale.ROOT, "%-18s %5d  %.4f ± %.4f   %s%n", s.group(), s.runs(), s.mean(),
          s.std(), s.paper() == null ? "—" : String.format(Locale.ROOT, "%.4f", s.paper()));
    }
    List<Gain> gains = gains();
    if (!gains.isEmpty()) {
      out.println();
      out.println("Gain over no-distillation, paired by seed (mean, 95 % interval)");
      for (Gain g : gains) {
        out.printf(Locale.ROOT, "%-18s %5d  %+.4f   %s%n", g.group(), g.pairs(), g.mean(),
            Double.isNaN(g.low()) ? "—"
                : String.format(Locale.ROOT, "%+.4f … %+.4f", g.low(), g.high()));
      }
    }
    long failed = results.stream().filter(r -> r.finished.failure() != null).count();
    if (failed > 0) {
      out.printf("%d run(s) failed; see results.csv%n", failed);
    }
  }

  /** The CSV header, without the invocation column {@link ResultsFiles} appends. */
  static final String CSV_HEADER =
      "run_id,dataset,mode,seed,steps,test_accuracy,test_loss,validation_accuracy,"
          + "hypergradient_steps,forecast_steps,wall_seconds,hypergradient_seconds,failure";

  /** One CSV line per run, in {@link #CSV_HEADER}'s columns. */
  List<String> csvRows() {
    List<String> rows = new ArrayList<>();
    for (RunResult r : results) {
      var f = r.finished;
      var e = f.finalEvaluation();
      rows.add(String.join(",", r.runId, dataset.name().toLowerCase(Locale.ROOT),
          r.config.mode().cliName(), Long.toString(r.config.seed()), Long.toString(f.steps()),
          e == null ? "" : Double.toString(e.testAccuracy()),
          e == null ? "" : Double.toString(e.testLoss()),
          e == null ? "" : Double.toString(e.validationAccuracy()),
          Long.toString(f.hypergradientSteps()), Long.toString(f.forecastSteps()),
          String.format(Locale.ROOT, "%.3f", f.wallSeconds()),
          String.format(Locale.ROOT, "%.3f", f.hypergradientSeconds()),
          f.failure() == null ? "" : '"' + f.failure().replace("\"", "'").replace('\n', ' ')
              + '"'));
    }
    return rows;
  }

  /** The summary and every run, as JSON, with the invocation that produced them. */
  byte[] json(String invocation) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("invocation", invocation);
    json.put("dataset", dataset.name().toLowerCase(Locale.ROOT));
    json.put("summary", summaries());
    json.put("gains", gains());
    json.put("runs", results.stream().map(r -> Map.of(
        "runId", r.runId, "config", r.config, "finished", r.finished)).toList());
    return EventCodec.mapper().writer(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(json);
  }
}
