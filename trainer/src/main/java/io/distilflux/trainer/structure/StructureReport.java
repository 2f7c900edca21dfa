package io.distilflux.trainer.structure;

import io.distilflux.trainer.report.LineFigure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The report of {@code experiment structure}: OUTPUT/structure.md with the tables and the checks
 * of the expected effects, OUTPUT/pruning.csv, OUTPUT/freezing.csv, OUTPUT/search.csv,
 * OUTPUT/enumeration.csv, OUTPUT/prior.csv, and the charts
 * OUTPUT/pruning-curves.png and OUTPUT/freezing.png.
 */
public final class StructureReport {

  /** The page's file name. */
  public static final String PAGE = "structure.md";
  /** The pruning chart's file name. */
  public static final String PRUNING_CHART = "pruning-curves.png";
  /** The freezing chart's file name. */
  public static final String FREEZING_CHART = "freezing.png";
  /** "≫": the accuracy margin over random pruning that counts as much better. */
  public static final double MUCH_BETTER = 0.05;
  /** "≈": the largest accuracy gap between OBD and variational pruning that counts as equal. */
  public static final double ABOUT_EQUAL = 0.03;
  /** 003: how far below the supernet's accuracy the distilled student may fall. */
  public static final double WITHIN = 0.01;
  /** 003: the mean 1 − max γ below which samples count as vertices ("C_struct ≈ 0"). */
  public static final double NEAR_VERTEX = 0.01;

  /**
   * One expected effect and whether it appeared.
   *
   * @param criterion what was expected
   * @param passed whether it held
   * @param detail the figures behind the verdict
   */
  public record Check(String criterion, boolean passed, String detail) {}

  private StructureReport() {}

  /** The checks of the expected effects on the results present. */
  public static List<Check> checks(StructureResults results) {
    List<Check> checks = new ArrayList<>();
    StructureResults.Pruned p = results.pruned();
    if (p != null) {
      double[] random = curve(p, "random", StructureExperiment.ALL_LAYERS).orElseThrow();
      double[] obd = curve(p, "OBD", StructureExperiment.ALL_LAYERS).orElseThrow();
      double[] variational = curve(p, "variational", StructureExperiment.ALL_LAYERS)
          .orElseThrow();
      for (int k = 0; k < p.fractions().length; k++) {
        double f = p.fractions()[k];
        if (f < 0.7 - 1e-9) {
          continue;
        }
        checks.add(new Check(String.format(Locale.ROOT,
            "variational and OBD ≫ random (by ≥ %s) at %s pruned", number(MUCH_BETTER),
            percent(f)), Math.min(obd[k], variational[k]) - random[k] >= MUCH_BETTER,
            String.format(Locale.ROOT, "variational %.4f, OBD %.4f, random %.4f",
                variational[k], obd[k], random[k])));
        checks.add(new Check(String.format(Locale.ROOT,
            "variational ≈ OBD (within %s) at %s pruned", number(ABOUT_EQUAL), percent(f)),
            Math.abs(obd[k] - variational[k]) <= ABOUT_EQUAL, String.format(Locale.ROOT,
                "variational %.4f, OBD %.4f", variational[k], obd[k])));
      }
    }
    StructureResults.Searched sr = results.searched();
    if (sr != null) {
      for (StructureResults.Search s : sr.searches()) {
        checks.add(new Check(String.format(Locale.ROOT,
            "%s c: the discrete student within %s of the supernet", s.schedule(),
            percent(WITHIN)), s.distilledAccuracy() >= s.supernetAccuracy() - WITHIN,
            String.format(Locale.ROOT, "student %s %.4f, supernet %.4f", s.student(),
                s.distilledAccuracy(), s.supernetAccuracy())));
      }
      StructureResults.Search annealed = search(sr, "annealed");
      StructureResults.Search fixed = search(sr, "fixed");
      if (annealed != null && fixed != null) {
        checks.add(new Check("samples near the simplex's vertices only with annealing "
            + "(1 − max γ below " + number(NEAR_VERTEX) + " annealed, above it fixed)",
            annealed.vertexDistance() < NEAR_VERTEX && fixed.vertexDistance() >= NEAR_VERTEX,
            String.format(Locale.ROOT, "annealed %.4f, fixed %.4f", annealed.vertexDistance(),
                fixed.vertexDistance())));
      }
    }
    StructureResults.Enumerated en = results.enumerated();
    if (en != null && en.runs().size() > 1) {
      checks.add(new Check(String.format(Locale.ROOT,
          "enumeration: at least %d distinct structures in %d searches", en.expected(),
          en.runs().size()), en.distinct() >= en.expected(), String.format(Locale.ROOT,
              "%d distinct: %s", en.distinct(), String.join(", ", en.runs().stream()
                  .map(StructureResults.Enumeration::student).toList()))));
    }
    StructureResults.PriorSweep ps = results.prior();
    if (ps != null && ps.runs().size() > 1) {
      List<StructureResults.PriorRun> runs = ps.byWeight();
      boolean narrower = true;
      boolean falls = true;
      for (int k = 1; k < runs.size(); k++) {
        narrower &= runs.get(k).expectedWidth() <= runs.get(k - 1).expectedWidth();
        falls &= runs.get(k).complexity() < runs.get(k - 1).complexity();
      }
      checks.add(new Check("c_prior: the expected hidden width does not increase with c_prior",
          narrower, joined(runs, r -> String.format(Locale.ROOT, "%.1f (%s)",
              r.expectedWidth(), r.student()))));
      checks.add(new Check("c_prior: C_param falls as c_prior grows", falls,
          joined(runs, r -> String.format(Locale.ROOT, "%.0f", r.complexity()))));
    }
    StructureResults.Frozen fz = results.frozen();
    if (fz != null) {
      List<Double> fractions = fz.runs().stream().map(StructureResults.Freeze::fraction)
          .distinct().toList();
      for (double f : fractions) {
        double lowest = frozen(fz, f, Freezing.Order.LOWEST_VARIANCE);
        double random = frozen(fz, f, Freezing.Order.RANDOM);
        double highest = frozen(fz, f, Freezing.Order.HIGHEST_VARIANCE);
        checks.add(new Check(String.format(Locale.ROOT,
            "lowest ≥ random ≥ highest variance at %s frozen", percent(f)),
            lowest >= random && random >= highest, String.format(Locale.ROOT,
                "lowest %.4f, random %.4f, highest %.4f", lowest, random, highest)));
      }
    }
    return checks;
  }

  /** Writes the page, the tables and the charts into {@code output}. */
  public static void write(Path output, StructureProtocol protocol, StructureResults results,
      String data, String command, double seconds) throws IOException {
    StringBuilder page = new StringBuilder();
    page.append("# Choosing the student's structure\n\n");
    page.append(data).append(". Command:\n\n```\n").append(command).append("\n```\n\n");
    page.append(String.format(Locale.ROOT, "Wall time: %.0f s.%n%n", seconds));
    StructureResults.Pruned p = results.pruned();
    if (p != null) {
      pruningSection(page, protocol, p);
      writePruningTable(output.resolve("pruning.csv"), p);
      pruningChart(output.resolve(PRUNING_CHART), p);
    }
    StructureResults.Frozen fz = results.frozen();
    if (fz != null) {
      freezingSection(page, protocol, fz);
      writeFreezingTable(output.resolve("freezing.csv"), fz);
      freezingChart(output.resolve(FREEZING_CHART), fz);
    }
    StructureResults.Searched sr = results.searched();
    if (sr != null) {
      searchSection(page, protocol, sr);
      writeSearchTable(output.resolve("search.csv"), sr);
    }
    StructureResults.Enumerated en = results.enumerated();
    if (en != null) {
      enumerationSection(page, protocol, en);
      writeEnumerationTable(output.resolve("enumeration.csv"), en);
    }
    StructureResults.PriorSweep ps = results.prior();
    if (ps != null) {
      priorSection(page, protocol, ps);
      writePriorTable(output.resolve("prior.csv"), ps);
    }
    page.append("## Expected effects\n\n| expected | holds | figures |\n|---|---|---|\n");
    for (Check c : checks(results)) {
      page.append("| ").append(c.criterion()).append(" | ").append(c.passed() ? "yes" : "no")
          .append(" | ").append(c.detail()).append(" |\n");
    }
    Files.writeString(output.resolve(PAGE), page, StandardCharsets.UTF_8);
  }

  private static void pruningSection(StringBuilder page, StructureProtocol protocol,
      StructureResults.Pruned p) {
    page.append(String.format(Locale.ROOT, "## 002-A: pruning curves%n%n"
        + "Variational 784→%d→10 (ReLU), λ = %s, %d epochs: test accuracy %.4f (%.0f s per "
        + "epoch); protocol wall time %.0f s. Test accuracy by fraction of weights removed (per "
        + "layer for \"all layers\"; random: mean ± sd over %d orders).%n%n",
        protocol.hidden(), number(protocol.lambda()), protocol.epochs(), p.accuracy(),
        p.epochSeconds(), p.seconds(), protocol.randomSeeds()));
    page.append(String.format(Locale.ROOT, "OBD takes Hutchinson's estimate of the Hessian's "
        + "diagonal (%d probes, ε = %s); %d of its %d saliencies came out negative. OBD (Fisher) "
        + "takes the empirical Fisher's diagonal instead.%n%n", OptimalBrainDamage.PROBES,
        number(OptimalBrainDamage.EPSILON), p.negativeSaliencies(), p.parameters()));
    page.append("| rule | scope |");
    for (double f : p.fractions()) {
      page.append(' ').append(percent(f)).append(" |");
    }
    page.append("\n|---|---|").append("---|".repeat(p.fractions().length)).append('\n');
    for (StructureResults.Curve c : p.curves()) {
      page.append("| ").append(c.rule()).append(" | ").append(c.scope()).append(" |");
      for (int k = 0; k < c.accuracy().length; k++) {
        page.append(String.format(Locale.ROOT, " %.4f", c.accuracy()[k]));
        if (c.spread()[k] > 0) {
          page.append(String.format(Locale.ROOT, " ± %.4f", c.spread()[k]));
        }
        page.append(" |");
      }
      page.append('\n');
    }
    page.append("\n![pruning curves](").append(PRUNING_CHART).append(")\n\n");
    page.append(String.format(Locale.ROOT, "Smaller dense students (the best hidden units by the "
        + "sum of their in- and out-weights' scores; the full network has %d parameters):%n%n",
        p.parameters()));
    page.append("| units kept | rule | parameters | accuracy as cut | after 1 epoch | epoch |\n"
        + "|---|---|---|---|---|---|\n");
    for (StructureResults.Student s : p.students()) {
      page.append(String.format(Locale.ROOT, "| %d | %s | %d | %.4f | %s | %s |%n", s.units(),
          s.rule(), s.parameters(), s.accuracy(),
          Double.isNaN(s.tunedAccuracy()) ? "" : String.format(Locale.ROOT, "%.4f",
              s.tunedAccuracy()),
          Double.isNaN(s.epochSeconds()) ? "" : String.format(Locale.ROOT, "%.1f s",
              s.epochSeconds())));
    }
    page.append('\n');
  }

  private static void freezingSection(StringBuilder page, StructureProtocol protocol,
      StructureResults.Frozen fz) {
    page.append(String.format(Locale.ROOT, "## 002-B: freezing by gradient-noise variance%n%n"
        + "Deterministic 784→%d→10 (ReLU), Adam %s, B = %d; mean ± sd over %d seeds. After "
        + "t_0 = %d epoch(s) (test accuracy %.4f) %d of %d parameters had zero gradient-noise "
        + "variance. Then %d more epochs with k parameters frozen. Protocol wall time %.0f s."
        + "%n%n", protocol.hidden(), number(StructureProtocol.FREEZING_RATE),
        StructureProtocol.FREEZING_BATCH, fz.seeds(), protocol.warmupEpochs(),
        fz.warmupAccuracy(), fz.zeroVariance(), fz.parameters(), protocol.freezeEpochs(),
        fz.seconds()));
    page.append("| frozen | order | accuracy | updates |\n|---|---|---|---|\n");
    page.append(String.format(Locale.ROOT, "| 0 %% | none | %.4f ± %.4f | %d |%n",
        fz.unfrozenAccuracy(), fz.unfrozenSpread(), fz.unfrozenUpdates()));
    for (StructureResults.Freeze r : fz.runs()) {
      page.append(String.format(Locale.ROOT, "| %s | %s | %.4f ± %.4f | %d |%n",
          percent(r.fraction()), r.order().label(), r.accuracy(), r.spread(), r.updates()));
    }
    page.append("\n![freezing](").append(FREEZING_CHART).append(")\n\n");
  }

  private static void writePruningTable(Path file, StructureResults.Pruned p) throws IOException {
    StringBuilder csv = new StringBuilder("rule,scope,fraction,accuracy,sd\n");
    for (StructureResults.Curve c : p.curves()) {
      for (int k = 0; k < p.fractions().length; k++) {
        csv.append(String.format(Locale.ROOT, "%s,%s,%s,%.6f,%.6f%n", c.rule(), c.scope(),
            number(p.fractions()[k]), c.accuracy()[k], c.spread()[k]));
      }
    }
    Files.writeString(file, csv, StandardCharsets.UTF_8);
  }

  private static void writeFreezingTable(Path file, StructureResults.Frozen fz)
      throws IOException {
    StringBuilder csv = new StringBuilder("order,fraction,accuracy,sd,updates\n");
    csv.append(String.format(Locale.ROOT, "none,0,%.6f,%.6f,%d%n", fz.unfrozenAccuracy(),
        fz.unfrozenSpread(), fz.unfrozenUpdates()));
    for (StructureResults.Freeze r : fz.runs()) {
      csv.append(String.format(Locale.ROOT, "%s,%s,%.6f,%.6f,%d%n",
          r.order().name().toLowerCase(Locale.ROOT).replace('_', '-'), number(r.fraction()),
          r.accuracy(), r.spread(), r.updates()));
    }
    Files.writeString(file, csv, StandardCharsets.UTF_8);
  }

  private static void pruningChart(Path file, StructureResults.Pruned p) throws IOException {
    double[] x = p.fractions().clone();
    for (int k = 0; k < x.length; k++) {
      x[k] *= 100;
    }
    List<LineFigure.Panel> panels = new ArrayList<>();
    for (String scope : List.of(StructureExperiment.ALL_LAYERS,
        StructureExperiment.OUTPUT_LAYER)) {
      List<LineFigure.Series> series = new ArrayList<>();
      List<String> rules = List.of("random", "OBD", "variational", "Belsley",
          StructureExperiment.FISHER);
      for (StructureResults.Curve c : p.curves()) {
        if (c.scope().equals(scope)) {
          series.add(new LineFigure.Series(c.rule(), rules.indexOf(c.rule()), x, c.accuracy()));
        }
      }
      panels.add(new LineFigure.Panel("Pruned: " + scope, "% of weights removed",
          "test accuracy", series));
    }
    LineFigure.writePng(panels, 2, file);
  }

  private static void freezingChart(Path file, StructureResults.Frozen fz) throws IOException {
    List<LineFigure.Series> series = new ArrayList<>();
    for (Freezing.Order order : Freezing.Order.values()) {
      List<StructureResults.Freeze> runs = fz.runs().stream().filter(r -> r.order() == order)
          .toList();
      double[] x = new double[runs.size() + 1];
      double[] y = new double[runs.size() + 1];
      y[0] = fz.unfrozenAccuracy();
      for (int k = 0; k < runs.size(); k++) {
        x[k + 1] = 100 * runs.get(k).fraction();
        y[k + 1] = runs.get(k).accuracy();
      }
      series.add(new LineFigure.Series(order.label(), order.ordinal(), x, y));
    }
    LineFigure.writePng(List.of(new LineFigure.Panel("Frozen after t_0", "% of parameters frozen",
        "test accuracy", series)), 1, file);
  }

  private static Optional<double[]> curve(StructureResults.Pruned p, String rule, String scope) {
    return p.curves().stream().filter(c -> c.rule().equals(rule) && c.scope().equals(scope))
        .map(StructureResults.Curve::accuracy).findFirst();
  }

  private static double frozen(StructureResults.Frozen fz, double fraction,
      Freezing.Order order) {
    return fz.runs().stream().filter(r -> r.fraction() == fraction && r.order() == order)
        .mapToDouble(StructureResults.Freeze::accuracy).findFirst().orElseThrow();
  }

  private static String percent(double f) {
    // rounded to hundredths of a percent, so that 0.99 reads 99, not 98.99999999999999
    return number(Math.round(1e4 * f) / 100.0) + " %";
  }

  /** A number as short as it reads: 10 for 10.0, 0.1 as it is. */
  static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e9 ? String.valueOf((long) v)
        : String.valueOf(v);
  }

  private static StructureResults.Search search(StructureResults.Searched sr, String schedule) {
    return sr.searches().stream().filter(s -> s.schedule().equals(schedule)).findFirst()
        .orElse(null);
  }

  private static void searchSection(StringBuilder page, StructureProtocol protocol,
      StructureResults.Searched sr) {
    page.append(String.format(Locale.ROOT, "## 003: supernet search and the discrete student%n%n"
        + "Supernet: hidden width 100, 50 or 10 (ReLU, zero-padded), output linear or "
        + "100 → 100 ReLU → 10, mixed by Gumbel-softmax weights; %d epochs, B = %d, Adam %s on "
        + "the weights and the meta-optimizer's rule (Adam %s, clip 1) on the structure "
        + "logits along the one-step hypergradient of the validation loss (%d held-out "
        + "training images). The argmax student starts from the "
        + "supernet's weights and is distilled from it for %d epoch(s) (λ1 = %s, λ2 = %s, "
        + "T = %s). Protocol wall time %.0f s.%n%n", protocol.searchEpochs(),
        StructureProtocol.SEARCH_BATCH, number(StructureProtocol.SEARCH_RATE),
        number(StructureProtocol.META_RATE), protocol.validation(), protocol.distilEpochs(),
        number(StructureProtocol.DISTILLATION.lambda1()),
        number(StructureProtocol.DISTILLATION.lambda2()),
        number(StructureProtocol.DISTILLATION.temperature()), sr.seconds()));
    page.append("| c | log α (widths 100, 50, 10; linear, deep) | 1 − max γ | supernet "
        + "(params) | student (params) | as cut | distilled | search s | distil s |\n"
        + "|---|---|---|---|---|---|---|---|---|\n");
    for (StructureResults.Search s : sr.searches()) {
      page.append(String.format(Locale.ROOT,
          "| %s %s → %s | %s | %.4f | %.4f (%d) | %s (%d) | %.4f | %.4f | %.0f | %.0f |%n",
          s.schedule(), number(s.fromTemperature()), number(s.toTemperature()),
          logits(s.logAlpha()), s.vertexDistance(), s.supernetAccuracy(),
          s.supernetParameters(), s.student(), s.studentParameters(), s.cutAccuracy(),
          s.distilledAccuracy(), s.searchSeconds(), s.distilSeconds()));
    }
    page.append(String.format(Locale.ROOT, "%nEach search ran to the first multiple of %d steps "
        + "(a mini-epoch) after its schedule, then published the chosen structure and switched "
        + "to the student:%n%n```%n", StructureProtocol.MINI_EPOCH));
    for (StructureResults.Search s : sr.searches()) {
      page.append(s.event()).append('\n');
    }
    page.append("```\n\n");
  }

  private static String logits(double[] logAlpha) {
    StringBuilder s = new StringBuilder();
    for (double v : logAlpha) {
      s.append(s.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", v));
    }
    return s.toString();
  }

  private static void writeSearchTable(Path file, StructureResults.Searched sr)
      throws IOException {
    StringBuilder csv = new StringBuilder("schedule,from_c,to_c,log_alpha,student,"
        + "supernet_parameters,student_parameters,supernet_accuracy,vertex_distance,"
        + "cut_accuracy,distilled_accuracy,search_seconds,distil_seconds\n");
    for (StructureResults.Search s : sr.searches()) {
      csv.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.1f,%.1f%n",
          s.schedule(), number(s.fromTemperature()), number(s.toTemperature()),
          logits(s.logAlpha()).replace(", ", ";"), s.student(), s.supernetParameters(),
          s.studentParameters(), s.supernetAccuracy(), s.vertexDistance(), s.cutAccuracy(),
          s.distilledAccuracy(), s.searchSeconds(), s.distilSeconds()));
    }
    Files.writeString(file, csv, StandardCharsets.UTF_8);
  }

  private static void enumerationSection(StringBuilder page, StructureProtocol protocol,
      StructureResults.Enumerated en) {
    page.append(String.format(Locale.ROOT, "## 003: enumeration%n%n"
        + "%d searches of the same supernet in sequence, each %d epoch(s) on the first %d "
        + "training images (B = %d, Adam %s; c annealed %s → %s), the logits on the %d held-out "
        + "images, every search from the same seed. Each adds to the validation loss the "
        + "enumeration term c_comb·Σ min(KL(q_Γ‖p′), %s) over the structure distributions p′ "
        + "the searches before it found, c_comb = %s (repulsion); the KL is that of the edges' "
        + "categorical distributions softmax(log α). Wall time %.0f s.%n%n",
        en.runs().size(), StructureProtocol.ENUMERATION_EPOCHS, en.images(),
        StructureProtocol.SEARCH_BATCH, number(StructureProtocol.SEARCH_RATE),
        number(StructureProtocol.FIRST_TEMPERATURE), number(StructureProtocol.LAST_TEMPERATURE),
        protocol.validation(), number(EnumerationTerm.CLIP), number(EnumerationTerm.REPULSION),
        en.seconds()));
    page.append("| run | log α (widths 100, 50, 10; linear, deep) | KL to earlier runs | "
        + "student (params) | new | supernet | as cut | search s |\n"
        + "|---|---|---|---|---|---|---|---|\n");
    List<StructureResults.Enumeration> earlier = new ArrayList<>();
    for (StructureResults.Enumeration e : en.runs()) {
      page.append(String.format(Locale.ROOT, "| %d | %s | %s | %s (%d) | %s | %.4f | %.4f | %.0f |%n",
          e.run(), logits(e.logAlpha()), logits(e.klToFound()), e.student(),
          e.studentParameters(), e.isNew(earlier) ? "yes" : "no", e.supernetAccuracy(),
          e.cutAccuracy(), e.seconds()));
      earlier.add(e);
    }
    page.append(String.format(Locale.ROOT, "%n%d distinct structures of %d.%n%n", en.distinct(),
        en.structures()));
  }

  /** "c_prior 0.1: x, c_prior 1: y, …" by increasing c_prior. */
  private static String joined(List<StructureResults.PriorRun> runs,
      Function<StructureResults.PriorRun, String> figure) {
    return String.join(", ", runs.stream().map(r -> "c_prior " + number(r.weight()) + ": "
        + figure.apply(r)).toList());
  }

  private static void priorSection(StringBuilder page, StructureProtocol protocol,
      StructureResults.PriorSweep ps) {
    page.append(String.format(Locale.ROOT, "## 003: c_prior (run (i))%n%n"
        + "%d searches of the supernet with variational weights q = N(μ, σ²), each %d epoch(s) "
        + "(B = %d, Adam %s for μ and ρ, the logits' Adam %s; c annealed %s → %s) on the "
        + "training images not held out, the logits on the %d held-out ones, every search from "
        + "the same seed. The weights minimise CE + c_reg·KL_struct/N (c_reg = %s), the logits "
        + "the validation CE + c_prior·KL_struct/N, KL_struct = Σ q·KL(block) with q = "
        + "softmax(log α) and one prior precision per layer at its closed-form optimum. "
        + "C_param is KL_struct at the end; accuracies are at the means. Wall time %.0f s.%n%n",
        ps.runs().size(), ps.epochs(), StructureProtocol.SEARCH_BATCH,
        number(StructureProtocol.SEARCH_RATE), number(StructureProtocol.META_RATE),
        number(StructureProtocol.FIRST_TEMPERATURE), number(StructureProtocol.LAST_TEMPERATURE),
        protocol.validation(), number(ps.regularisation()), ps.seconds()));
    page.append("| c_prior | log α (widths 100, 50, 10; linear, deep) | expected width | "
        + "C_param | student (params) | its KL | mean σ | supernet | as cut | search s |\n"
        + "|---|---|---|---|---|---|---|---|---|---|\n");
    for (StructureResults.PriorRun r : ps.runs()) {
      page.append(String.format(Locale.ROOT,
          "| %s | %s | %.1f | %.0f | %s (%d) | %.0f | %.4f | %.4f | %.4f | %.0f |%n",
          number(r.weight()), logits(r.logAlpha()), r.expectedWidth(), r.complexity(),
          r.student(), r.studentParameters(), r.studentKl(), r.meanSigma(),
          r.supernetAccuracy(), r.cutAccuracy(), r.seconds()));
    }
    page.append("\n");
  }

  private static void writePriorTable(Path file, StructureResults.PriorSweep ps)
      throws IOException {
    StringBuilder csv = new StringBuilder("c_prior,log_alpha,expected_width,c_param,student,"
        + "student_parameters,student_kl,mean_sigma,supernet_accuracy,cut_accuracy,"
        + "search_seconds\n");
    for (StructureResults.PriorRun r : ps.runs()) {
      csv.append(String.format(Locale.ROOT, "%s,%s,%.4f,%.4f,%s,%d,%.4f,%.6f,%.6f,%.6f,%.1f%n",
          number(r.weight()), logits(r.logAlpha()).replace(", ", ";"), r.expectedWidth(),
          r.complexity(), r.student(), r.studentParameters(), r.studentKl(), r.meanSigma(),
          r.supernetAccuracy(), r.cutAccuracy(), r.seconds()));
    }
    Files.writeString(file, csv, StandardCharsets.UTF_8);
  }

  private static void writeEnumerationTable(Path file, StructureResults.Enumerated en)
      throws IOException {
    StringBuilder csv = new StringBuilder("run,log_alpha,kl_to_earlier,student,"
        + "student_parameters,new,supernet_accuracy,cut_accuracy,search_seconds\n");
    List<StructureResults.Enumeration> earlier = new ArrayList<>();
    for (StructureResults.Enumeration e : en.runs()) {
      csv.append(String.format(Locale.ROOT, "%d,%s,%s,%s,%d,%s,%.6f,%.6f,%.1f%n", e.run(),
          logits(e.logAlpha()).replace(", ", ";"), logits(e.klToFound()).replace(", ", ";"),
          e.student(), e.studentParameters(), e.isNew(earlier), e.supernetAccuracy(),
          e.cutAccuracy(), e.seconds()));
      earlier.add(e);
    }
    Files.writeString(file, csv, StandardCharsets.UTF_8);
  }
}
