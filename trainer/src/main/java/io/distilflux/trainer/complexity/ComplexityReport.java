package io.distilflux.trainer.complexity;

import io.distilflux.trainer.report.LineFigure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * The report of {@code experiment complexity}: accuracy, stability S, evidence 𝔏 and update
 * counts per variant and λ beside the paper's Tables 1–3, the protocol's pass criteria checked on
 * the figures (docs/complexity.md §3), the pruning curves as a chart and every
 * figure as CSV.
 */
public final class ComplexityReport {

  /** The report page's file name. */
  public static final String PAGE = "complexity.md";
  /** The chart's file name. */
  public static final String CHART = "pruning-curves.png";
  /** The figures' file name. */
  public static final String CSV = "results.csv";

  /**
   * One pass criterion and whether the figures meet it.
   *
   * @param criterion what is checked
   * @param passed whether it holds
   * @param detail the figures it was decided on
   */
  public record Check(String criterion, boolean passed, String detail) {}

  private ComplexityReport() {}

  /**
   * Writes the page, the chart and the CSV into {@code dir} (created if needed).
   *
   * @param online the online variant's result, if it ran (a section of its own, a CSV line and a
   *     row of the pruning curves)
   */
  public static void write(Path dir, ComplexityProtocol protocol, List<ComplexityResult> results,
      Optional<OnlineResult> online, String dataDescription, double seconds) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(PAGE), markdown(protocol, results, online, dataDescription,
        seconds), StandardCharsets.UTF_8);
    List<ComplexityResult> all = new ArrayList<>(results);
    online.ifPresent(o -> all.add(o.atEnd()));
    Files.writeString(dir.resolve(CSV), csv(all), StandardCharsets.UTF_8);
    LineFigure.writePng(panels(protocol, results), Math.min(2, protocol.lambdas().size()),
        dir.resolve(CHART));
  }

  /** λ as the tables print it: 0.1, 1, 10, 100. */
  public static String lambda(double lambda) {
    return lambda == Math.rint(lambda) && Math.abs(lambda) < 1e9
        ? Long.toString((long) lambda) : Double.toString(lambda);
  }

  /** The protocol's pass criteria, on the results that are there (a missing variant: none). */
  public static List<Check> checks(List<ComplexityResult> results) {
    List<Check> checks = new ArrayList<>();
    List<ComplexityResult> direct = of(results, Variant.DIRECT);
    if (direct.size() >= 2) {
      checks.add(falls("(а) accuracy falls as λ rises", direct, ComplexityResult::accuracy, 4));
      checks.add(falls("(а) S falls as λ rises", direct, ComplexityResult::stability, 3));
      List<ComplexityResult> large = direct.stream().filter(r -> r.lambda() >= 10).toList();
      if (!large.isEmpty()) {
        StringBuilder d = new StringBuilder();
        boolean ok = true;
        for (ComplexityResult r : large) {
          d.append(String.format(Locale.ROOT, "λ=%s: %.4f; ", lambda(r.lambda()), r.lossAt(0.8)));
          ok &= r.lossAt(0.8) <= 0.03;
        }
        checks.add(new Check("(а) at λ ≥ 10, pruning 80 % costs ≤ 0.03 accuracy", ok,
            d.toString().strip()));
      }
      StringBuilder d = new StringBuilder();
      boolean ok = true;
      int compared = 0;
      for (ComplexityResult r : direct) {
        int c = PaperTables.column(r.lambda());
        if (c < 0) {
          continue;
        }
        double ratio = r.evidence() / PaperTables.ROWS.get(Variant.DIRECT).evidence()[c];
        d.append(String.format(Locale.ROOT, "λ=%s: ×%.2f; ", lambda(r.lambda()), ratio));
        ok &= ratio >= 1 / 1.5 && ratio <= 1.5;
        compared++;
      }
      if (compared > 0) {
        checks.add(new Check("(а) 𝔏 within ×1.5 of the paper's (а)", ok, d.toString().strip()));
      }
    }
    for (Variant hyper : new Variant[] {Variant.LINEAR, Variant.LOW_RANK}) {
      List<ComplexityResult> h = of(results, hyper);
      if (!h.isEmpty() && !direct.isEmpty()) {
        double dh = meanDrop(h);
        double dd = meanDrop(direct);
        // a diverged model (NaN parameters) predicts one class whatever is pruned: flat, not
        // stable
        boolean diverged = h.stream().anyMatch(r -> !Double.isFinite(r.evidence()));
        checks.add(new Check(hyper.label() + ": pruning curves flatter than (а)'s",
            !diverged && dh < dd, diverged ? "diverged: 𝔏 is not finite"
                : String.format(Locale.ROOT, "mean accuracy drop over 10–90 %% pruned and λ: "
                    + "%.4f vs (а) %.4f", dh, dd)));
      }
    }
    return checks;
  }

  /** The report page. */
  public static String markdown(ComplexityProtocol protocol, List<ComplexityResult> results,
      Optional<OnlineResult> online, String dataDescription, double seconds) {
    StringBuilder out = new StringBuilder();
    out.append("# Complexity control: variational students and hypernetworks\n\n");
    out.append(String.format(Locale.ROOT, "Data: %s. Network 784→%d→10 ReLU, prior s_p² = %s, "
        + "%s, B = %d, clipping by value at %s. Epochs: direct %d, hypernetworks %d, "
        + "fine-tune %d; linear hypernetwork %d λ per minibatch, log₁₀λ ~ U(−1, 2), "
        + "hypernetwork input %s. Seed %d. Wall time %.0f s.%n%n",
        dataDescription, protocol.hidden(), protocol.priorVariance(), protocol.optimizer().describe(),
        protocol.batchSize(), ComplexityProtocol.CLIP, protocol.directEpochs(),
        protocol.hyperEpochs(), protocol.fineTuneEpochs(), protocol.samplesPerBatch(),
        protocol.input().name().toLowerCase(Locale.ROOT), protocol.seed(), seconds));
    out.append("Rows marked *paper* are the published Tables 1–3 (25 epochs, SGD, 5 runs "
        + "averaged); ours are one run of the small protocol.\n\n");
    table(out, "Test accuracy (Table 1)", protocol, results, ComplexityResult::accuracy,
        row -> row.accuracy(), "%.4f", true);
    table(out, "Stability S = acc(0 %)/acc(90 % pruned) (Table 2)", protocol, results,
        ComplexityResult::stability, row -> row.stability(), "%.3f", false);
    table(out, "Evidence 𝔏 = E_q log p(D|w) − λ·KL on the training set (Table 3)", protocol,
        results, ComplexityResult::evidence, row -> row.evidence(), "%.0f", false);
    parts(out, protocol, results);
    online.ifPresent(o -> online(out, o, results));
    out.append("## Pass criteria\n\n| criterion | holds | figures |\n|---|---|---|\n");
    for (Check c : checks(results)) {
      out.append("| ").append(c.criterion()).append(" | ").append(c.passed() ? "yes" : "**no**")
          .append(" | ").append(c.detail()).append(" |\n");
    }
    out.append("\n## Pruning curves\n\n![pruning curves](").append(CHART).append(")\n\n")
        .append("| variant | λ | 0 % | 10 % | 20 % | 30 % | 40 % | 50 % | 60 % | 70 % | 80 % "
            + "| 90 % |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    List<ComplexityResult> curves = new ArrayList<>(results);
    online.ifPresent(o -> curves.add(o.atEnd()));
    for (ComplexityResult r : curves) {
      out.append("| ").append(r.variant().label()).append(" | ")
          .append(r.variant() == Variant.ONLINE
              ? String.format(Locale.ROOT, "%.4g", r.lambda()) : lambda(r.lambda()));
      for (double a : r.curve()) {
        out.append(String.format(Locale.ROOT, " | %.4f", a));
      }
      out.append(" |\n");
    }
    return out.toString();
  }

  /**
   * 𝔏's two parts per variant and λ, E_q log p(D | w) on the training set and KL(q‖p), and log p
   * at the means beside them.
   */
  private static void parts(StringBuilder out, ComplexityProtocol protocol,
      List<ComplexityResult> results) {
    out.append("## The parts of 𝔏: E_q log p(D|w) / KL(q‖p) / log p(D|μ) at the means\n\n"
        + "| variant");
    for (double lambda : protocol.lambdas()) {
      out.append(" | λ=").append(lambda(lambda));
    }
    out.append(" |\n").append("|---".repeat(protocol.lambdas().size() + 1)).append("|\n");
    for (Variant v : Variant.values()) {
      List<ComplexityResult> rows = of(results, v);
      if (rows.isEmpty()) {
        continue;
      }
      out.append("| ").append(v.label());
      for (double lambda : protocol.lambdas()) {
        out.append(" | ").append(rows.stream().filter(x -> x.lambda() == lambda).findFirst()
            .map(x -> String.format(Locale.ROOT, "%.0f / %.0f / %.0f",
                x.expectedLogLikelihood(), x.kl(), x.meanLogLikelihood()))
            .orElse("—"));
      }
      out.append(" |\n");
    }
    out.append('\n');
  }

  /** The online run beside the direct models at the λ nearest its final λ_c. */
  private static void online(StringBuilder out, OnlineResult o, List<ComplexityResult> results) {
    ComplexityResult r = o.atEnd();
    out.append("## Online λ_c (the meta-optimizer tunes λ_c while the student trains)\n\n")
        .append("| run | λ_c start → end | accuracy | S | 𝔏 at λ | KL | steps | seconds |\n")
        .append("|---|---|---|---|---|---|---|---|\n")
        .append(String.format(Locale.ROOT, "| %s | %s → %.4g | %.4f | %.3f | %.0f | %.0f | %d "
                + "| %.0f |%n", r.variant().label(), lambda(o.startLambda()), r.lambda(),
            r.accuracy(), r.stability(), r.evidence(), r.kl(), o.steps(), r.seconds()));
    of(results, Variant.DIRECT).stream()
        .min(java.util.Comparator.comparingDouble(
            d -> Math.abs(Math.log(d.lambda()) - Math.log(r.lambda()))))
        .ifPresent(d -> out.append(String.format(Locale.ROOT,
            "| %s, fixed λ | %s | %.4f | %.3f | %.0f | %.0f | — | %.0f |%n",
            d.variant().label(), lambda(d.lambda()), d.accuracy(), d.stability(), d.evidence(),
            d.kl(), d.seconds())));
    out.append(String.format(Locale.ROOT, "%nThe pipeline's own test accuracy of the online "
        + "student: %.4f. 𝔏 and KL of the online student are at its final λ_c.%n%n",
        o.pipelineTestAccuracy()));
  }

  private static void table(StringBuilder out, String title, ComplexityProtocol protocol,
      List<ComplexityResult> results, ToDoubleFunction<ComplexityResult> ours,
      java.util.function.Function<PaperTables.Row, double[]> paper, String format,
      boolean withUpdates) {
    out.append("## ").append(title).append("\n\n| variant");
    for (double lambda : protocol.lambdas()) {
      out.append(" | λ=").append(lambda(lambda));
    }
    out.append(withUpdates ? " | updates |\n" : " |\n");
    out.append("|---".repeat(protocol.lambdas().size() + 1 + (withUpdates ? 1 : 0)))
        .append("|\n");
    for (Variant v : Variant.values()) {
      List<ComplexityResult> rows = of(results, v);
      if (rows.isEmpty() || !PaperTables.ROWS.containsKey(v)) {
        continue;
      }
      out.append("| ").append(v.label());
      long updates = 0;
      for (double lambda : protocol.lambdas()) {
        Optional<ComplexityResult> r = rows.stream().filter(x -> x.lambda() == lambda)
            .findFirst();
        out.append(" | ").append(r.map(x -> String.format(Locale.ROOT, format,
            ours.applyAsDouble(x))).orElse("—"));
        updates = Math.max(updates, r.map(ComplexityResult::updates).orElse(0L));
      }
      out.append(withUpdates ? String.format(Locale.ROOT, " | %,d |%n", updates) : " |\n");
      PaperTables.Row row = PaperTables.ROWS.get(v);
      out.append("| *paper ").append(v.letter()).append("*");
      for (double lambda : protocol.lambdas()) {
        int c = PaperTables.column(lambda);
        out.append(" | ").append(c < 0 ? "—"
            : "*" + String.format(Locale.ROOT, format, paper.apply(row)[c]) + "*");
      }
      out.append(withUpdates ? String.format(Locale.ROOT, " | *%,d* |%n", row.updates())
          : " |\n");
    }
    out.append('\n');
  }

  /**
   * Every result as one CSV line: variant, λ, accuracy, S, 𝔏, KL, E_q log p, log p at the means,
   * updates, curve.
   */
  public static String csv(List<ComplexityResult> results) {
    StringBuilder out = new StringBuilder(
        "variant,lambda,accuracy,stability,evidence,kl,expected_log_likelihood,"
            + "mean_log_likelihood,updates,seconds");
    for (double f : Evaluator.FRACTIONS) {
      out.append(",pruned_").append(Math.round(100 * f));
    }
    out.append('\n');
    for (ComplexityResult r : results) {
      out.append(String.format(Locale.ROOT, "%s,%s,%.6f,%.6f,%.3f,%.3f,%.3f,%.3f,%d,%.1f",
          r.variant().name().toLowerCase(Locale.ROOT), lambda(r.lambda()), r.accuracy(),
          r.stability(), r.evidence(), r.kl(), r.expectedLogLikelihood(),
          r.meanLogLikelihood(), r.updates(), r.seconds()));
      for (double a : r.curve()) {
        out.append(String.format(Locale.ROOT, ",%.6f", a));
      }
      out.append('\n');
    }
    return out.toString();
  }

  private static List<LineFigure.Panel> panels(ComplexityProtocol protocol,
      List<ComplexityResult> results) {
    double[] x = new double[Evaluator.FRACTIONS.length];
    for (int k = 0; k < x.length; k++) {
      x[k] = 100 * Evaluator.FRACTIONS[k];
    }
    List<LineFigure.Panel> panels = new ArrayList<>();
    for (double lambda : protocol.lambdas()) {
      List<LineFigure.Series> series = results.stream().filter(r -> r.lambda() == lambda)
          .map(r -> new LineFigure.Series(r.variant().label(), r.variant().ordinal(), x,
              r.curve()))
          .toList();
      panels.add(new LineFigure.Panel("λ = " + lambda(lambda), "% of weights pruned",
          "test accuracy", series));
    }
    return panels;
  }

  private static List<ComplexityResult> of(List<ComplexityResult> results, Variant v) {
    return results.stream().filter(r -> r.variant() == v)
        .sorted(java.util.Comparator.comparingDouble(ComplexityResult::lambda)).toList();
  }

  private static Check falls(String name, List<ComplexityResult> sorted,
      ToDoubleFunction<ComplexityResult> value, int digits) {
    StringBuilder d = new StringBuilder();
    boolean ok = true;
    for (int k = 0; k < sorted.size(); k++) {
      double v = value.applyAsDouble(sorted.get(k));
      d.append(String.format(Locale.ROOT, "%s%." + digits + "f", k == 0 ? "" : " → ", v));
      if (k > 0) {
        ok &= v <= value.applyAsDouble(sorted.get(k - 1));
      }
    }
    return new Check(name, ok, d.toString());
  }

  /** Mean over λ and over the pruned levels 10–90 % of acc(0 %) − acc(level). */
  private static double meanDrop(List<ComplexityResult> results) {
    double sum = 0;
    int n = 0;
    for (ComplexityResult r : results) {
      for (int k = 1; k < r.curve().length; k++) {
        sum += r.curve()[0] - r.curve()[k];
        n++;
      }
    }
    return sum / n;
  }
}
