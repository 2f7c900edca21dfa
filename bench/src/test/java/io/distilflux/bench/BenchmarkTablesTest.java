package io.distilflux.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkTablesTest {

  private static final String JMH = """
      [ { "benchmark" : "io.distilflux.pipeline.EventCodecJmh.encodeStep", "mode" : "avgt",
          "primaryMetric" : { "score" : 3.456, "scoreError" : 0.21, "scoreUnit" : "us/op" } },
        { "benchmark" : "io.distilflux.monitor.forecast.ForecastFitJmh.fit", "mode" : "avgt",
          "params" : { "period" : "100" },
          "primaryMetric" : { "score" : 2912.5, "scoreError" : "NaN", "scoreUnit" : "ns/op" } } ]
      """;

  @Test
  void jmhResultsBecomeOneRowPerBenchmarkAndParameterSet() {
    String table = BenchmarkTables.jmhTable(JMH);
    assertTrue(table.contains("| `EventCodecJmh.encodeStep` |  | 3.46 | 0.210 | us/op |"), table);
    assertTrue(table.contains("| `ForecastFitJmh.fit` | period = 100 | 2912.5 | — | ns/op |"), table);
  }

  @Test
  void onlyLinesWithFiguresAreKeptAndLogLinesAreDropped() {
    List<String> lines = BenchmarkTables.figureLines(List.of(
        "== bus",
        "12:00:01.123 INFO  o.a.k.c.p.KafkaProducer - median of something",
        "# Warmup Iteration   1: 3.1 us/op",
        "median wall time: kafka 19.73 s, direct 18.99 s; ratio kafka/direct 1.039",
        "plain step median 5.3 µs, p90 7.0 µs",
        "events per second through one topic: 18131",
        "started the broker",
        "  0.1 s CPU    8 × ExpirationReape"));
    assertEquals(List.of(
        "median wall time: kafka 19.73 s, direct 18.99 s; ratio kafka/direct 1.039",
        "plain step median 5.3 µs, p90 7.0 µs",
        "events per second through one topic: 18131"), lines);
  }

  @Test
  void theSectionBetweenTheMarkersIsReplacedAndTheRestKept() {
    String doc = "# Benchmarks\nhand-written\n" + BenchmarkTables.BEGIN + "\nold figures\n"
        + BenchmarkTables.END + "\n## After\nmore text\n";
    String once = BenchmarkTables.replaceSection(doc, "new figures\n");
    assertTrue(once.startsWith("# Benchmarks\nhand-written\n" + BenchmarkTables.BEGIN), once);
    assertTrue(once.contains("new figures"), once);
    assertFalse(once.contains("old figures"), once);
    assertTrue(once.endsWith(BenchmarkTables.END + "\n## After\nmore text\n"), once);
    assertEquals(once, BenchmarkTables.replaceSection(once, "new figures\n"));
  }

  @Test
  void aDocumentWithoutTheMarkersIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> BenchmarkTables.replaceSection("# Benchmarks\n", "figures"));
  }

  @Test
  void theSectionHasATableRowForEveryBenchmarkEvenOneWithoutFigures(@TempDir Path out)
      throws Exception {
    Files.writeString(out.resolve("jmh.json"), JMH);
    Files.writeString(out.resolve("bus.txt"), "latency median 1.2 ms | p99 3 ms\n");
    Files.writeString(out.resolve("replay.txt"), "replay failed\n");
    String section = BenchmarkTables.section(out, List.of("bus", "replay"), "header");
    assertTrue(section.startsWith("header"), section);
    assertTrue(section.contains("`EventCodecJmh.encodeStep`"), section);
    assertTrue(section.contains("| bus | `latency median 1.2 ms \\| p99 3 ms` |"), section);
    assertTrue(section.contains("| replay | (no figures: see replay.txt) |"), section);
  }
}
