package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code experiment structure} end to end on small generated MNIST files, and its bad input. */
class StructureCommandTest {

  @TempDir Path dir;

  @Test
  void writesThePageTheTablesAndTheCharts() throws IOException {
    Path data = dir.resolve("mnist");
    ComplexityCommandTest.writeMnist(data, 300, 100);
    Path out = dir.resolve("out");
    CliOutcome outcome = CliOutcome.execute("experiment", "structure", "--data-dir",
        data.toString(), "--output", out.toString(), "--protocols", "pruning,freezing",
        "--hidden", "8", "--epochs", "1",
        "--score-examples", "100", "--units-kept", "4", "--fractions", "0,0.7,0.9",
        "--frozen", "0.5", "--freeze-epochs", "1", "--freeze-seeds", "2");
    assertEquals(0, outcome.exitCode(), outcome.err());
    String page = Files.readString(out.resolve("structure.md"));
    assertTrue(page.contains("\ndistilflux experiment structure --data-dir "), page);
    assertTrue(page.contains("## 002-A: pruning curves"), page);
    assertTrue(page.contains("| Belsley | output layer |"), page);
    assertTrue(page.contains("## 002-B: freezing by gradient-noise variance"), page);
    assertTrue(page.contains("variational and OBD ≫ random (by ≥ 0.05) at 90 % pruned"), page);
    assertTrue(page.contains("variational ≈ OBD (within 0.03) at 70 % pruned"), page);
    assertTrue(page.contains("lowest ≥ random ≥ highest variance at 50 % frozen"), page);
    // 4 rules on all layers, 5 on the output layer, 3 fractions each
    assertEquals(1 + 9 * 3, Files.readAllLines(out.resolve("pruning.csv")).size());
    List<String> freezing = Files.readAllLines(out.resolve("freezing.csv"));
    assertEquals(1 + 1 + 3, freezing.size(), String.join("\n", freezing));
    assertTrue(Files.size(out.resolve("pruning-curves.png")) > 1000);
    assertTrue(Files.size(out.resolve("freezing.png")) > 1000);
  }

  @Test
  void theSearchProtocolWritesItsTableAndItsChecks() throws IOException {
    Path data = dir.resolve("mnist");
    ComplexityCommandTest.writeMnist(data, 300, 100);
    Path out = dir.resolve("search");
    CliOutcome outcome = CliOutcome.execute("experiment", "structure", "--data-dir",
        data.toString(), "--output", out.toString(), "--protocols", "search",
        "--search-epochs", "1", "--validation", "100");
    assertEquals(0, outcome.exitCode(), outcome.err());
    String page = Files.readString(out.resolve("structure.md"));
    assertTrue(page.contains("## 003: supernet search and the discrete student"), page);
    assertTrue(page.contains("annealed c: the discrete student within 1 % of the supernet"),
        page);
    assertTrue(page.contains("samples near the simplex's vertices only with annealing"), page);
    assertTrue(page.contains("{\"type\":\"StructureChosen\""), page);
    assertTrue(page.contains("\"runId\":\"structure-annealed\""), page);
    assertTrue(!page.contains("## 002-A"), page);
    List<String> search = Files.readAllLines(out.resolve("search.csv"));
    assertEquals(1 + 2, search.size(), String.join("\n", search));
    assertTrue(search.get(1).startsWith("annealed,1,0.1,"), search.get(1));
    assertTrue(search.get(2).startsWith("fixed,1,1,"), search.get(2));
    CliOutcome tooMany = CliOutcome.execute("experiment", "structure", "--data-dir",
        data.toString(), "--output", dir.resolve("o").toString(), "--protocols", "search",
        "--validation", "300");
    assertEquals(2, tooMany.exitCode());
    assertTrue(tooMany.err().contains("validation set"), tooMany.err());
  }

  @Test
  void theEnumerationWritesOneRowPerSearchAndItsCheck() throws IOException {
    Path data = dir.resolve("mnist");
    ComplexityCommandTest.writeMnist(data, 300, 100);
    Path out = dir.resolve("enumeration");
    CliOutcome outcome = CliOutcome.execute("experiment", "structure", "--data-dir",
        data.toString(), "--output", out.toString(), "--protocols", "enumeration",
        "--validation", "100", "--enumeration-runs", "3", "--enumeration-images", "150");
    assertEquals(0, outcome.exitCode(), outcome.err());
    String page = Files.readString(out.resolve("structure.md"));
    assertTrue(page.contains("## 003: enumeration"), page);
    assertTrue(page.contains("first 150 training images"), page);
    assertTrue(page.contains("enumeration: at least 2 distinct structures in 3 searches"), page);
    assertTrue(!page.contains("## 003: supernet search"), page);
    List<String> rows = Files.readAllLines(out.resolve("enumeration.csv"));
    assertEquals(1 + 3, rows.size(), String.join("\n", rows));
    assertTrue(rows.get(1).startsWith("1,"), rows.get(1));
    assertTrue(rows.get(1).contains(",,784-"), "no KL for the first: " + rows.get(1));
    assertTrue(rows.get(1).contains(",true,"), "the first is new: " + rows.get(1));
    assertEquals(2, rows.get(3).split(",")[2].split(";").length, rows.get(3));
  }

  @Test
  void thePriorProtocolWritesOneRowPerCPriorAndItsChecks() throws IOException {
    Path data = dir.resolve("mnist");
    ComplexityCommandTest.writeMnist(data, 300, 100);
    Path out = dir.resolve("prior");
    CliOutcome outcome = CliOutcome.execute("experiment", "structure", "--data-dir",
        data.toString(), "--output", out.toString(), "--protocols", "prior",
        "--search-epochs", "1", "--validation", "100", "--prior-weights", "10,0.5");
    assertEquals(0, outcome.exitCode(), outcome.err());
    String page = Files.readString(out.resolve("structure.md"));
    assertTrue(page.contains("## 003: c_prior (run (i))"), page);
    assertTrue(page.contains("c_prior: the expected hidden width does not increase with c_prior"),
        page);
    assertTrue(page.contains("c_prior: C_param falls as c_prior grows"), page);
    assertTrue(!page.contains("## 003: enumeration"), page);
    List<String> rows = Files.readAllLines(out.resolve("prior.csv"));
    assertEquals(1 + 2, rows.size(), String.join("\n", rows));
    assertTrue(rows.get(1).startsWith("10,"), rows.get(1));
    assertTrue(rows.get(2).startsWith("0.5,"), rows.get(2));
    CliOutcome negative = CliOutcome.execute("experiment", "structure", "--protocols", "prior",
        "--prior-weights", "-1");
    assertEquals(2, negative.exitCode());
    assertTrue(negative.err().contains("c_prior"), negative.err());
  }

  @Test
  void onlyTheChosenProtocolRuns() throws IOException {
    Path data = dir.resolve("mnist");
    ComplexityCommandTest.writeMnist(data, 200, 50);
    Path out = dir.resolve("freeze-only");
    CliOutcome outcome = CliOutcome.execute("experiment", "structure", "--data-dir",
        data.toString(), "--output", out.toString(), "--protocols", "freezing", "--hidden", "6",
        "--frozen", "0.9", "--freeze-epochs", "1", "--freeze-seeds", "1");
    assertEquals(0, outcome.exitCode(), outcome.err());
    String page = Files.readString(out.resolve("structure.md"));
    assertTrue(page.contains("## 002-B"), page);
    assertTrue(!page.contains("## 002-A"), page);
    assertTrue(!Files.exists(out.resolve("pruning.csv")));
  }

  @Test
  void badInputEndsWithOneLineAndExitTwo() {
    CliOutcome protocol = CliOutcome.execute("experiment", "structure", "--protocols", "growth");
    assertEquals(2, protocol.exitCode());
    assertTrue(protocol.err().contains("--protocols"), protocol.err());
    CliOutcome units = CliOutcome.execute("experiment", "structure", "--units-kept", "200");
    assertEquals(2, units.exitCode());
    assertTrue(units.err().contains("units kept"), units.err());
    CliOutcome fraction = CliOutcome.execute("experiment", "structure", "--fractions", "1.5");
    assertEquals(2, fraction.exitCode());
    assertTrue(fraction.err().contains("pruned fractions"), fraction.err());
    CliOutcome missing = CliOutcome.execute("experiment", "structure", "--data-dir",
        dir.resolve("none").toString(), "--output", dir.resolve("o").toString());
    assertEquals(2, missing.exitCode());
    assertTrue(missing.err().startsWith("distilflux: "), missing.err());
  }
}
