package io.distilflux.trainer.byo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.trainer.cli.Distilflux;
import io.distilflux.trainer.data.CsvSource;
import io.distilflux.trainer.data.DistillationData;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.teacher.TeacherTrainer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A user's own data (CSV), teacher (a DL4J zip, or its logits as .npy) and student (a JSON
 * configuration), run over the embedded Kafka broker, with the student saved and reloaded.
 */
class BringYourOwnRunTest {

  @Test
  void aCsvRunWithAZipTeacherAndAJsonStudentSavesAStudentThatScoresTheReportedAccuracy(
      @TempDir Path dir) throws IOException {
    Path train = UserFiles.blobsCsv(dir.resolve("train.csv"), 150, 1);
    Path validation = UserFiles.blobsCsv(dir.resolve("validation.csv"), 60, 2);
    Path test = UserFiles.blobsCsv(dir.resolve("test.csv"), 90, 3);
    DistillationData data = new CsvSource(train, validation, test).load().data();
    MultiLayerNetwork teacher = UserFiles.trainedTeacher(
        new DataSet(data.studentTrain().features(), data.studentTrain().labels()), 7);
    Path teacherZip = dir.resolve("teacher.zip");
    ModelSerializer.writeModel(teacher, teacherZip.toFile(), false);
    Path student = Files.writeString(dir.resolve("student.json"), UserFiles.denseStudentJson());
    Path out = dir.resolve("out");
    Path saved = dir.resolve("saved").resolve("student.zip");

    Outcome run = execute("run", "--dataset", "csv", "--train", train.toString(),
        "--validation", validation.toString(), "--test", test.toString(),
        "--teacher", teacherZip.toString(), "--student", student.toString(),
        "--modes", "forecast", "--seeds", "1", "--epochs", "4", "--batch-size", "30",
        "--mini-epoch", "2", "--evaluate-every", "5", "--save-student", saved.toString(),
        "--metrics-port", "0", "--final-scrape-wait", "0", "--output", out.toString());

    assertEquals(0, run.exitCode(), run.err());
    double reported = reportedAccuracy(out);
    assertTrue(run.out().contains("written to " + saved.toAbsolutePath()), run.out());
    assertTrue(run.err().contains("computed on dense-engine"), run.err());
    MultiLayerNetwork reloaded = ModelSerializer.restoreMultiLayerNetwork(saved.toFile(), false);
    assertEquals(reported, accuracy(reloaded, data.test()), 1e-9);
    // the teacher fits the blobs far better than chance: the file's teacher was used
    assertTrue(TeacherTrainer.accuracy(teacher, data.test()) > 0.6);

    String settings = Files.readString(saved.resolveSibling("student.settings.json"));
    assertTrue(settings.contains(io.distilflux.trainer.data.Checksums.hex(train, "SHA-256")),
        settings);
    assertTrue(settings.contains(io.distilflux.trainer.data.Checksums.hex(teacherZip, "SHA-256")),
        settings);
    List<String> trajectory = Files.readAllLines(saved.resolveSibling("student.trajectory.csv"));
    assertEquals(1 + 4 * 5, trajectory.size()); // header + 150/30 = 5 steps an epoch, 4 epochs
    assertTrue(trajectory.get(1).startsWith("0,hypergradient,"), trajectory.get(1));

    // the same teacher, run once elsewhere: its logits on the training then validation rows
    INDArray inputs = Nd4j.concat(0, data.studentTrain().features(), data.validation().features());
    Path logits = UserFiles.npy(dir.resolve("logits.npy"), TeacherTrainer.logits(teacher, inputs));
    Path savedFromLogits = dir.resolve("from-logits.zip");
    Outcome fromLogits = execute("run", "--dataset", "csv", "--train", train.toString(),
        "--validation", validation.toString(), "--test", test.toString(),
        "--teacher-logits", logits.toString(), "--student", student.toString(),
        "--modes", "fixed", "--seeds", "1", "--epochs", "4", "--batch-size", "30",
        "--save-student", savedFromLogits.toString(), "--metrics-port", "0",
        "--final-scrape-wait", "0", "--output", dir.resolve("out2").toString());

    assertEquals(0, fromLogits.exitCode(), fromLogits.err());
    assertEquals(reportedAccuracy(dir.resolve("out2")), accuracy(
        ModelSerializer.restoreMultiLayerNetwork(savedFromLogits.toFile(), false), data.test()),
        1e-9);
  }

  private record Outcome(int exitCode, String out, String err) {}

  private static Outcome execute(String... args) {
    PrintStream originalOut = System.out;
    PrintStream originalErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = Distilflux.execute(args);
    } finally {
      System.setOut(originalOut);
      System.setErr(originalErr);
    }
    return new Outcome(code, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  /** The test accuracy of the single run in results.csv. */
  private static double reportedAccuracy(Path out) throws IOException {
    List<String> rows = Files.readAllLines(out.resolve("results.csv"));
    assertEquals(2, rows.size(), rows.toString());
    String[] cells = rows.get(1).split(",", -1);
    assertEquals("csv", cells[1], rows.get(1));
    assertEquals("", cells[12], rows.get(1)); // no failure
    return Double.parseDouble(cells[5]);
  }

  private static double accuracy(MultiLayerNetwork network, Split split) {
    INDArray predicted = network.output(split.features(), false).argMax(1);
    INDArray actual = split.labels().argMax(1);
    long correct = 0;
    for (long i = 0; i < split.size(); i++) {
      correct += predicted.getLong(i) == actual.getLong(i) ? 1 : 0;
    }
    return (double) correct / split.size();
  }
}
