package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.Mode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code results.csv} gathers the rows of every invocation writing into one folder. */
class ResultsFilesTest {

  @TempDir Path dir;

  @Test
  void eachWriteSaysHowManyRowsOfEarlierInvocationsItKept() throws Exception {
    ResultsFiles first = new ResultsFiles(dir, "first");
    assertEquals(0, first.write(table(1)));
    assertEquals(0, first.write(table(2)), "rewriting its own rows keeps no earlier ones");

    ResultsFiles second = new ResultsFiles(dir, "second");
    assertEquals(2, second.write(table(1)));
    assertEquals(2, second.write(table(3)));

    List<String> lines = Files.readAllLines(dir.resolve("results.csv"), StandardCharsets.UTF_8);
    assertEquals(1 + 2 + 3, lines.size(), lines.toString());
    assertEquals(2, lines.stream().filter(l -> l.endsWith(",first")).count());
    assertEquals(3, lines.stream().filter(l -> l.endsWith(",second")).count());
  }

  private static ResultsTable table(int runs) {
    return new ResultsTable(RunConfig.DatasetKind.SYNTHETIC, java.util.stream.IntStream
        .range(0, runs).mapToObj(seed -> ResultsTableTest.run(Mode.FIXED, seed, 0.5)).toList());
  }
}
