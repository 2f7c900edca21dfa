package io.distilflux.trainer.byo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.trainer.cli.Distilflux;
import io.distilflux.trainer.model.StudentArchitectures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Images as NumPy files, a convolutional student from a YAML file, logits from a file. */
class NumpyImagesRunTest {

  @Test
  void aConvolutionalStudentFileOnNumpyImagesTakesTheNativeOpsPath(@TempDir Path dir)
      throws IOException {
    Nd4j.getRandom().setSeed(5);
    long[] labels = new long[24];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % 10;
    }
    UserFiles.npy(dir.resolve("train-x.npy"), Nd4j.rand(DataType.FLOAT, 24, 3, 32, 32));
    UserFiles.npy(dir.resolve("train-y.npy"), Nd4j.createFromArray(labels));
    UserFiles.npy(dir.resolve("val-x.npy"), Nd4j.rand(DataType.FLOAT, 8, 3, 32, 32));
    UserFiles.npy(dir.resolve("val-y.npy"), Nd4j.createFromArray(labels)
        .get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 8)).dup());
    UserFiles.npy(dir.resolve("test-x.npy"), Nd4j.rand(DataType.FLOAT, 10, 3, 32, 32));
    UserFiles.npy(dir.resolve("test-y.npy"), Nd4j.createFromArray(labels)
        .get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 10)).dup());
    UserFiles.npy(dir.resolve("logits.npy"), Nd4j.randn(DataType.FLOAT, 32, 10));
    Path student = Files.writeString(dir.resolve("student.yaml"), StudentArchitectures
        .withDefaults().configuration(StudentArchitectures.CIFAR_VERY_TINY,
            new long[] {3, 32, 32}, 10, 1, DataType.FLOAT).toYaml());
    Path out = dir.resolve("out");

    PrintStream originalErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      exit = Distilflux.execute("run", "--dataset", "npy",
          "--train-x", dir.resolve("train-x.npy").toString(),
          "--train-y", dir.resolve("train-y.npy").toString(),
          "--validation-x", dir.resolve("val-x.npy").toString(),
          "--validation-y", dir.resolve("val-y.npy").toString(),
          "--test-x", dir.resolve("test-x.npy").toString(),
          "--test-y", dir.resolve("test-y.npy").toString(),
          "--teacher-logits", dir.resolve("logits.npy").toString(),
          "--student", student.toString(), "--modes", "hypergradient", "--seeds", "1",
          "--epochs", "1", "--batch-size", "8", "--transport", "direct",
          "--metrics-port", "0", "--final-scrape-wait", "0", "--output", out.toString());
    } finally {
      System.setErr(originalErr);
    }

    String log = err.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, log);
    assertTrue(log.contains("computed on native-ops (conv, batch-norm, ReLU, max-pool"), log);
    List<String> rows = Files.readAllLines(out.resolve("results.csv"));
    assertEquals(2, rows.size(), rows.toString());
    String[] cells = rows.get(1).split(",", -1);
    assertEquals("npy", cells[1]);
    assertEquals("3", cells[4], rows.get(1)); // 24 images in batches of 8, one epoch
    assertEquals("", cells[12], rows.get(1));
  }
}
