package io.distilflux.pipeline.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.TrainingStep;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunArchiveTest {

  @TempDir Path folder;

  private static TrainingStep step(String run, long index) {
    return new TrainingStep(Event.CURRENT_SCHEMA_VERSION, run, index, 0, Phase.FIXED, 1.5, 1.0,
        0.5, new MetaValues(0.5, 0.5, 4.0), 0.01, 1_000L + index);
  }

  private static RecordedRun run(String id, int steps) {
    return new RecordedRun(id,
        LongStream.range(0, steps).mapToObj(i -> (Event) step(id, i)).toList());
  }

  private static void assertFails(org.junit.jupiter.api.function.Executable read, String reason) {
    RunArchive.ArchiveException e = assertThrows(RunArchive.ArchiveException.class, read);
    assertTrue(e.getMessage().contains(reason), e.getMessage());
  }

  @Test
  void writtenArchiveReadsBackTheSameEventsInOrder() {
    Path file = folder.resolve("r1.jsonl");
    RecordedRun run = run("r1", 25);
    RunArchive.write(file, run);
    assertEquals(run, RunArchive.read(file));
  }

  @Test
  void truncatedArchiveIsRejectedWithTheCounts() throws IOException {
    Path file = folder.resolve("r1.jsonl");
    RunArchive.write(file, run("r1", 10));
    List<String> lines = Files.readAllLines(file);
    Files.write(file, lines.subList(0, 6));
    assertFails(() -> RunArchive.read(file), "truncated, 5 of 10 events");
  }

  @Test
  void halfWrittenLastLineIsRejectedWithItsLineNumber() throws IOException {
    Path file = folder.resolve("r1.jsonl");
    RunArchive.write(file, run("r1", 3));
    String text = Files.readString(file);
    Files.writeString(file, text.substring(0, text.length() - 20));
    assertFails(() -> RunArchive.read(file), "line 4");
  }

  @Test
  void foreignFilesAreRejected() throws IOException {
    Path csv = folder.resolve("results.csv");
    Files.writeString(csv, "mode,seed,accuracy\n");
    assertFails(() -> RunArchive.read(csv), "not a distilflux run archive");
    Path other = folder.resolve("other.jsonl");
    Files.writeString(other, "{\"format\":\"something-else\"}\n");
    assertFails(() -> RunArchive.read(other), "not a distilflux run archive");
    Path newer = folder.resolve("newer.jsonl");
    Files.writeString(newer,
        "{\"format\":\"distilflux-run\",\"formatVersion\":99,\"runId\":\"r\",\"eventCount\":0}\n");
    assertFails(() -> RunArchive.read(newer), "formatVersion 99");
    assertFails(() -> RunArchive.read(folder.resolve("missing.jsonl")), "no such file");
  }

  @Test
  void eventOfAnotherRunIsRejected() throws IOException {
    Path file = folder.resolve("r1.jsonl");
    RunArchive.write(file, run("r1", 2));
    String text = Files.readString(file, StandardCharsets.UTF_8).replaceFirst("\"runId\":\"r1\",\"step\"",
        "\"runId\":\"r2\",\"step\"");
    Files.writeString(file, text);
    assertFails(() -> RunArchive.read(file), "event of run r2");
  }
}
