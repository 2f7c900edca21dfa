package io.distilflux.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes the figures of one {@code bench/run-all.sh} pass into the generated section of
 * {@code docs/benchmarks.md}: the JMH results as a table read from JMH's JSON file, and, for
 * every other benchmark, the lines of its output that carry figures.
 *
 * <p>The section lies between {@value #BEGIN} and {@value #END}; everything outside it is left
 * as written, so the hand-written explanations and the full-size figures of record stay.
 *
 * <p>Usage: {@code BenchmarkTables OUT DOC NAME...} where {@code OUT} holds {@code jmh.json} and
 * one {@code NAME.txt} per benchmark output, in the order the tables are wanted.
 */
public final class BenchmarkTables {

  /** Opens the generated section. */
  public static final String BEGIN = "<!-- bench/run-all.sh: generated from here -->";

  /** Closes the generated section. */
  public static final String END = "<!-- bench/run-all.sh: generated up to here -->";

  /** The lines of a benchmark's output that carry its figures. */
  private static final Pattern FIGURE =
      Pattern.compile("median|\\bratio|per second|/s\\b|interval|[0-9]x$|\\bp[0-9]{2}\\b");

  /** Progress, JMH's own chatter and log lines: never figures. */
  private static final Pattern NOISE =
      Pattern.compile("^\\s*(#|Iteration|Warmup|Result|Benchmark)|\\b(WARN|INFO|ERROR|DEBUG)\\b");

  private BenchmarkTables() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("distilflux: usage: BenchmarkTables OUT DOC [NAME...]");
      System.exit(2);
    }
    Path out = Path.of(args[0]);
    Path doc = Path.of(args[1]);
    List<String> names = List.of(args).subList(2, args.length);
    String section = section(out, names, header());
    String text = Files.readString(doc, StandardCharsets.UTF_8);
    Files.writeString(doc, replaceSection(text, section), StandardCharsets.UTF_8);
    System.out.println("wrote the figures of " + out + " into " + doc);
  }

  /** The generated section's body for the outputs in {@code out}. */
  static String section(Path out, List<String> names, String header) throws IOException {
    StringBuilder text = new StringBuilder(header).append("\n\n");
    Path jmh = out.resolve("jmh.json");
    if (Files.exists(jmh)) {
      text.append("JMH (`jmh.json`):\n\n").append(jmhTable(Files.readString(jmh))).append('\n');
    }
    text.append("Every other benchmark, the lines of its output that carry figures:\n\n");
    text.append("| benchmark | figure |\n|---|---|\n");
    for (String name : names) {
      Path file = out.resolve(name + ".txt");
      List<String> figures = Files.exists(file) ? figureLines(Files.readAllLines(file)) : List.of();
      if (figures.isEmpty()) {
        text.append("| ").append(name).append(" | (no figures: see ").append(name)
            .append(".txt) |\n");
      }
      for (String line : figures) {
        text.append("| ").append(name).append(" | ").append(cell(line)).append(" |\n");
      }
    }
    return text.toString();
  }

  /** The JMH results file as a Markdown table, one row per benchmark and parameter set. */
  static String jmhTable(String json) {
    JsonNode results;
    try {
      results = new ObjectMapper().readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("jmh.json is not JMH's JSON: " + e.getMessage(), e);
    }
    StringBuilder table = new StringBuilder("| benchmark | parameters | score | error (99.9 %) | unit |\n");
    table.append("|---|---|---|---|---|\n");
    for (JsonNode result : results) {
      String name = result.path("benchmark").asText();
      JsonNode metric = result.path("primaryMetric");
      table.append("| `").append(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1))
          .append("` | ").append(parameters(result.path("params")))
          .append(" | ").append(number(metric.path("score").asDouble()))
          .append(" | ").append(number(metric.path("scoreError").asDouble()))
          .append(" | ").append(metric.path("scoreUnit").asText()).append(" |\n");
    }
    return table.toString();
  }

  /** The lines of one benchmark's output that carry figures, without log lines or progress. */
  static List<String> figureLines(List<String> output) {
    List<String> figures = new ArrayList<>();
    for (String line : output) {
      if (FIGURE.matcher(line).find() && !NOISE.matcher(line).find() && !line.isBlank()) {
        figures.add(line.strip());
      }
    }
    return figures;
  }

  /** The document with its generated section replaced by {@code section}. */
  static String replaceSection(String doc, String section) {
    int begin = doc.indexOf(BEGIN);
    int end = doc.indexOf(END);
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException(
          "the document has no generated section: add the lines " + BEGIN + " and " + END);
    }
    return doc.substring(0, begin + BEGIN.length()) + "\n\n" + section.strip() + "\n\n"
        + doc.substring(end);
  }

  private static String header() {
    String loads;
    try {
      loads = Files.readString(Path.of("/proc/loadavg")).split(" ", 4)[0];
    } catch (IOException | RuntimeException e) {
      loads = String.format(Locale.ROOT, "%.2f",
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
    return String.format(Locale.ROOT,
        "Last `bench/run-all.sh` pass: %s, %d cores, Java %s, load average %s at the end "
            + "(small sizes: a smoke run, not figures of record).",
        ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), loads);
  }

  private static String parameters(JsonNode params) {
    if (params.isMissingNode() || params.isEmpty()) {
      return "";
    }
    List<String> pairs = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = params.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      pairs.add(entry.getKey() + " = " + entry.getValue().asText());
    }
    return String.join(", ", pairs);
  }

  private static String number(double value) {
    if (!Double.isFinite(value)) {
      return "—";
    }
    return Math.abs(value) >= 100 ? String.format(Locale.ROOT, "%.1f", value)
        : String.format(Locale.ROOT, "%.3g", value);
  }

  private static String cell(String line) {
    return "`" + line.replace("`", "'").replace("|", "\\|") + "`";
  }
}
