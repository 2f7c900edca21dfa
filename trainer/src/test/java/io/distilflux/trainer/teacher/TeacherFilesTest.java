package io.distilflux.trainer.teacher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.trainer.byo.KerasH5Writer;
import io.distilflux.trainer.byo.UserFiles;
import io.distilflux.trainer.data.CsvSource;
import io.distilflux.trainer.data.DatasetSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class TeacherFilesTest {

  @Test
  void aZipTeachersLogitsAreItsOutputLayersPreActivationOnTheTrainingRows(@TempDir Path dir)
      throws IOException {
    DatasetSource.Loaded loaded = blobs(dir, 30, 12, 9);
    MultiLayerNetwork teacher = UserFiles.trainedTeacher(new DataSet(
        loaded.data().studentTrain().features(), loaded.data().studentTrain().labels()), 3);
    Path zip = dir.resolve("teacher.zip");
    ModelSerializer.writeModel(teacher, zip.toFile(), false);

    TeacherResult result = new NetworkFileTeacher(zip).logitsFor(loaded);

    assertEquals(TeacherTrainer.logits(teacher, loaded.data().studentTrain().features()),
        result.logits());
    assertEquals(TeacherTrainer.accuracy(teacher, loaded.data().test()), result.testAccuracy());
  }

  @Test
  void aKerasH5TeacherGivesTheLogitsOfTheSameWeightsInDl4j(@TempDir Path dir) throws IOException {
    DatasetSource.Loaded loaded = blobs(dir, 30, 12, 9);
    MultiLayerNetwork teacher = UserFiles.trainedTeacher(new DataSet(
        loaded.data().studentTrain().features(), loaded.data().studentTrain().labels()), 3);
    Path h5 = dir.resolve("teacher.h5");
    KerasH5Writer.write(h5, java.util.List.of(
        new KerasH5Writer.Dense(teacher.getLayer(0).getParam("W"),
            teacher.getLayer(0).getParam("b"), "relu"),
        new KerasH5Writer.Dense(teacher.getLayer(1).getParam("W"),
            teacher.getLayer(1).getParam("b"), "softmax")));

    TeacherResult result = new NetworkFileTeacher(h5).logitsFor(loaded);

    INDArray expected = TeacherTrainer.logits(teacher, loaded.data().studentTrain().features());
    assertTrue(expected.equalsWithEps(result.logits(), 1e-5), result.logits().toString());
    assertEquals(TeacherTrainer.accuracy(teacher, loaded.data().test()), result.testAccuracy());
  }

  @Test
  void aTeacherThatDoesNotFitTheDataIsOneLineNamingTheFile(@TempDir Path dir) throws IOException {
    DatasetSource.Loaded loaded = blobs(dir, 30, 12, 9);
    Path garbage = Files.writeString(dir.resolve("garbage.zip"), "not a zip");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new NetworkFileTeacher(garbage).logitsFor(loaded));
    assertTrue(e.getMessage().startsWith("teacher " + garbage + " is not a readable DL4J"),
        e.getMessage());
    assertEquals(1, e.getMessage().lines().count());
    e = assertThrows(IllegalArgumentException.class,
        () -> new NetworkFileTeacher(dir.resolve("none.h5")).logitsFor(loaded));
    assertEquals("teacher file not found: " + dir.resolve("none.h5"), e.getMessage());
  }

  @Test
  void logitsFilesMustHaveOneFiniteRowPerTrainingAndValidationExample(@TempDir Path dir)
      throws IOException {
    DatasetSource.Loaded loaded = blobs(dir, 30, 12, 9);
    INDArray logits = Nd4j.rand(DataType.FLOAT, 42, 3);
    Path good = UserFiles.npy(dir.resolve("good.npy"), logits);

    TeacherResult result = new LogitsFileTeacher(good).logitsFor(loaded);

    assertEquals(logits.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 30),
        org.nd4j.linalg.indexing.NDArrayIndex.all()), result.logits());
    assertTrue(Double.isNaN(result.testAccuracy()));

    Path trainOnly = UserFiles.npy(dir.resolve("train-only.npy"), Nd4j.rand(DataType.FLOAT, 30, 3));
    assertProblem("teacher logits " + trainOnly + " have shape [30, 3], expected [42, 3]: one row"
        + " per training (30) and validation (12) example, one column per class", trainOnly,
        loaded);
    Path fourClasses = UserFiles.npy(dir.resolve("four.npy"), Nd4j.rand(DataType.FLOAT, 42, 4));
    assertProblem("teacher logits " + fourClasses + " have shape [42, 4], expected [42, 3]: one"
        + " row per training (30) and validation (12) example, one column per class",
        fourClasses, loaded);
    INDArray infinite = logits.dup();
    infinite.putScalar(35, 1, Float.POSITIVE_INFINITY);
    Path bad = UserFiles.npy(dir.resolve("inf.npy"), infinite);
    assertProblem("teacher logits " + bad + ": row 35, column 1 is Infinity, not finite", bad,
        loaded);
  }

  private static void assertProblem(String expected, Path file, DatasetSource.Loaded loaded) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new LogitsFileTeacher(file).logitsFor(loaded));
    assertEquals(expected, e.getMessage());
  }

  private static DatasetSource.Loaded blobs(Path dir, int train, int validation, int test)
      throws IOException {
    return new CsvSource(UserFiles.blobsCsv(dir.resolve("train.csv"), train, 1),
        UserFiles.blobsCsv(dir.resolve("validation.csv"), validation, 2),
        UserFiles.blobsCsv(dir.resolve("test.csv"), test, 3)).load();
  }
}
