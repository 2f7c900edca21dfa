package io.distilflux.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NpySourceTest {

  @Test
  void readsImagesAsNchwWithIntegerLabels(@TempDir Path dir) throws IOException {
    NpySource.Pair train = pair(dir, "train", Nd4j.rand(DataType.FLOAT, 6, 2, 4, 4),
        Nd4j.createFromArray(0L, 1L, 2L, 0L, 1L, 2L));
    NpySource.Pair val = pair(dir, "val", Nd4j.rand(DataType.FLOAT, 3, 2, 4, 4),
        Nd4j.createFromArray(2L, 1L, 0L));
    INDArray testImages = Nd4j.rand(DataType.DOUBLE, 2, 2, 4, 4);
    NpySource.Pair test = pair(dir, "test", testImages, Nd4j.createFromArray(1, 0));

    DistillationData data = new NpySource(train, val, test).load().data();

    assertEquals(3, data.classes());
    assertArrayEquals(new long[] {6, 2, 4, 4}, data.studentTrain().features().shape());
    assertEquals(testImages.getDouble(1, 1, 3, 2), data.test().features().getDouble(1, 1, 3, 2),
        1e-6);
    assertEquals(1f, data.validation().labels().getFloat(0, 2));
  }

  @Test
  void mismatchedShapesAndBadLabelsAreOneLineNamingTheFile(@TempDir Path dir) throws IOException {
    NpySource.Pair good = pair(dir, "good", Nd4j.rand(DataType.FLOAT, 3, 5),
        Nd4j.createFromArray(0, 1, 2));
    NpySource.Pair shortLabels = pair(dir, "short", Nd4j.rand(DataType.FLOAT, 3, 5),
        Nd4j.createFromArray(0, 1));
    assertProblem(shortLabels.labels() + ": shape [2], expected [3] labels to match short-x.npy",
        new NpySource(shortLabels, good, good));
    NpySource.Pair wide = pair(dir, "wide", Nd4j.rand(DataType.FLOAT, 3, 6),
        Nd4j.createFromArray(0, 1, 2));
    assertProblem(wide.features() + ": examples of shape [6], the training features' are [5]",
        new NpySource(good, good, wide));
    NpySource.Pair fractional = pair(dir, "frac", Nd4j.rand(DataType.FLOAT, 3, 5),
        Nd4j.createFromArray(0.0, 1.5, 2.0));
    assertProblem(fractional.labels() + ": row 1, column 0: 1.5 is not a class 0…K−1",
        new NpySource(fractional, good, good));
    NpySource.Pair outside = pair(dir, "outside", Nd4j.rand(DataType.FLOAT, 3, 5),
        Nd4j.createFromArray(0, 1, 3));
    assertProblem(outside.labels() + ": row 2, column 0: label 3 is outside 0…2 (the classes of"
        + " the training file)", new NpySource(good, good, outside));
    INDArray withNaN = Nd4j.rand(DataType.FLOAT, 3, 5);
    withNaN.putScalar(1, 4, Float.NaN);
    NpySource.Pair nan = pair(dir, "nan", withNaN, Nd4j.createFromArray(0, 1, 2));
    assertProblem(nan.features() + ": row 1, column 4: NaN is not finite",
        new NpySource(good, nan, good));
    Path garbage = Files.writeString(dir.resolve("garbage.npy"), "not numpy");
    DataFileException e = assertThrows(DataFileException.class,
        () -> new NpySource(new NpySource.Pair(garbage, good.labels()), good, good).load());
    assertTrue(e.getMessage().startsWith(garbage + ": not a readable NumPy .npy file"),
        e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
  }

  private static void assertProblem(String expected, NpySource source) {
    DataFileException e = assertThrows(DataFileException.class, source::load);
    assertEquals(expected, e.getMessage());
  }

  private static NpySource.Pair pair(Path dir, String name, INDArray x, INDArray y)
      throws IOException {
    Path features = dir.resolve(name + "-x.npy");
    Path labels = dir.resolve(name + "-y.npy");
    Nd4j.writeAsNumpy(x, features.toFile());
    Nd4j.writeAsNumpy(y, labels.toFile());
    return new NpySource.Pair(features, labels);
  }
}
