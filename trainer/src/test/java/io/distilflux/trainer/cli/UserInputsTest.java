package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.distilflux.pipeline.event.InputFile;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.trainer.byo.UserFiles;
import io.distilflux.trainer.data.Checksums;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserInputsTest {

  @Test
  void csvRunsRecordTheirFilesWithTheirDigestsAndTakeTheUserFileDefaults(@TempDir Path dir)
      throws IOException {
    Map<String, String> flags = csvFlags(dir);
    Path student = Files.writeString(dir.resolve("student.json"), UserFiles.denseStudentJson());
    flags.put("student", student.toString());

    RunConfig base = RunOptions.parse(flags).base();

    DatasetDefaults d = DatasetDefaults.of(RunConfig.DatasetKind.CSV);
    assertEquals(d.epochs(), base.epochs());
    assertEquals(d.batchSize(), base.batchSize());
    assertEquals(d.teacher(), base.teacher());
    assertEquals(student.toString(), base.student());
    Path train = Path.of(flags.get("train"));
    assertEquals(List.of("train", "validation", "test", "student"),
        base.inputs().stream().map(InputFile::role).toList());
    assertEquals(new InputFile("train", train.toString(), Checksums.hex(train, "SHA-256")),
        base.input("train").orElseThrow());
  }

  @Test
  void missingMisplacedOrConflictingFilesAreOneLineNamingTheFlag(@TempDir Path dir)
      throws IOException {
    Map<String, String> flags = csvFlags(dir);
    flags.remove("test");
    assertMessage("--dataset csv needs --test FILE", flags);
    assertMessage("--train applies to --dataset csv, not synthetic",
        Map.of("train", flags.get("train")));
    assertMessage("--test-y applies to --dataset npy, not csv",
        with(csvFlags(dir), "test-y", flags.get("train")));
    assertMessage("--validation file not found: " + dir.resolve("nope.csv"),
        with(csvFlags(dir), "validation", dir.resolve("nope.csv").toString()));
    Path logits = Files.writeString(dir.resolve("logits.npy"), "x");
    assertMessage("--teacher-logits replaces --teacher; give one of them",
        with(with(csvFlags(dir), "teacher-logits", logits.toString()), "teacher", "mnist-mlp"));
    assertMessage("--teacher file not found: " + dir.resolve("t.h5"),
        with(csvFlags(dir), "teacher", dir.resolve("t.h5").toString()));
    assertMessage("--dataset npy needs --train-x FILE", Map.of("dataset", "npy"));
    assertMessage("--data-dir is for cifar10 and mnist; --dataset csv names its files with their"
        + " own flags", with(csvFlags(dir), "data-dir", dir.toString()));
  }

  @Test
  void aMalformedDataFileEndsTheRunWithOneLineAndExitCodeTwo(@TempDir Path dir)
      throws IOException {
    Map<String, String> flags = csvFlags(dir);
    Files.writeString(Path.of(flags.get("test")), "x0,x1,label,x2,x3\n1,2,1,3,oops\n");
    CliOutcome outcome = CliOutcome.execute("run", "--dataset", "csv",
        "--train", flags.get("train"), "--validation", flags.get("validation"),
        "--test", flags.get("test"), "--transport", "direct", "--seeds", "1",
        "--modes", "no-distillation", "--metrics-port", "0", "--final-scrape-wait", "0",
        "--output", dir.resolve("out").toString());
    assertEquals(2, outcome.exitCode(), outcome.err());
    List<String> lines = outcome.errLines();
    assertEquals("distilflux: " + flags.get("test") + ": row 2, column x3: 'oops' is not"
        + " a number", lines.get(lines.size() - 1), outcome.err());
  }

  @Test
  void aStudentFileForOtherInputsEndsTheRunWithOneLineNamingIt(@TempDir Path dir)
      throws IOException {
    Map<String, String> flags = csvFlags(dir);
    Path student = Files.writeString(dir.resolve("student.json"),
        UserFiles.denseStudentJson().replace("\"nin\" : 4", "\"nin\" : 7"));
    CliOutcome outcome = CliOutcome.execute("run", "--dataset", "csv",
        "--train", flags.get("train"), "--validation", flags.get("validation"),
        "--test", flags.get("test"), "--student", student.toString(), "--transport", "direct",
        "--seeds", "1", "--modes", "no-distillation", "--metrics-port", "0",
        "--final-scrape-wait", "0", "--output", dir.resolve("out").toString());
    assertEquals(2, outcome.exitCode(), outcome.err());
    List<String> lines = outcome.errLines();
    String last = lines.get(lines.size() - 1);
    assertEquals(true, last.startsWith("distilflux: student " + student
        + " does not fit the data's examples [4]: "), last);
  }

  @Test
  void theTeacherCommandTrainsOnCsvFilesAndSaysWhereItWroteTheTeacher(@TempDir Path dir)
      throws IOException {
    Map<String, String> flags = csvFlags(dir);
    CliOutcome outcome = CliOutcome.execute("teacher", "--dataset", "csv",
        "--train", flags.get("train"), "--validation", flags.get("validation"),
        "--test", flags.get("test"), "--teacher-epochs", "2",
        "--output", dir.resolve("out").toString());
    assertEquals(0, outcome.exitCode(), outcome.err());
    String entry = outcome.out().lines().filter(l -> l.startsWith("teacher cache entry: "))
        .findFirst().orElseThrow().substring("teacher cache entry: ".length());
    assertEquals(true, Files.isRegularFile(Path.of(entry).resolve("teacher.zip")), entry);
    assertEquals(true, Path.of(entry).startsWith(dir.resolve("out").resolve("teachers")), entry);
  }

  private static Map<String, String> csvFlags(Path dir) throws IOException {
    Map<String, String> flags = new HashMap<>();
    flags.put("dataset", "csv");
    flags.put("train", UserFiles.blobsCsv(dir.resolve("train.csv"), 30, 1).toString());
    flags.put("validation", UserFiles.blobsCsv(dir.resolve("validation.csv"), 9, 2).toString());
    flags.put("test", UserFiles.blobsCsv(dir.resolve("test.csv"), 9, 3).toString());
    return flags;
  }

  private static Map<String, String> with(Map<String, String> flags, String key, String value) {
    Map<String, String> copy = new HashMap<>(flags);
    copy.put(key, value);
    return copy;
  }

  private static void assertMessage(String expected, Map<String, String> flags) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RunOptions.parse(flags));
    assertEquals(expected, e.getMessage());
  }
}
