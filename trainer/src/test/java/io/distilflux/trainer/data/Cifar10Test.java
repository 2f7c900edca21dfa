package io.distilflux.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class Cifar10Test {

  private static final double[] MEAN = {125.3, 123.0, 113.9};
  private static final double[] STD = {63.0, 62.1, 66.7};

  @TempDir Path dir;

  @Test
  void readsLabelsAndRgbPlanesNormalisedPerChannelAsNchw() throws IOException {
    Path train = CifarTestFiles.write(dir.resolve("train.bin"), 3, 9, 0);
    Path validation = CifarTestFiles.write(dir.resolve("val.bin"), 5, 1);
    Path test = CifarTestFiles.write(dir.resolve("test.bin"), 8);

    DistillationData data = Cifar10.fromFiles(List.of(train), List.of(validation), List.of(test));

    INDArray x = data.studentTrain().features();
    assertArrayEquals(new long[] {3, 3, 32, 32}, x.shape());
    assertEquals(DataType.FLOAT, x.dataType());
    assertEquals(1.0, data.studentTrain().labels().getDouble(0, 3));
    assertEquals(1.0, data.studentTrain().labels().getDouble(1, 9));
    assertEquals(1.0, data.validation().labels().getDouble(0, 5));
    assertEquals(1.0, data.test().labels().getDouble(0, 8));
    for (int record : new int[] {0, 2}) {
      for (int c = 0; c < 3; c++) {
        for (int[] yx : new int[][] {{0, 0}, {0, 31}, {17, 5}, {31, 31}}) {
          int raw = CifarTestFiles.pixel(record, c, yx[0] * 32 + yx[1]);
          double expected = (raw / 255.0 - MEAN[c] / 255) / (STD[c] / 255);
          assertEquals(expected, x.getDouble(record, c, yx[0], yx[1]), 1e-4);
        }
      }
    }
    assertEquals(5, data.teacherTrain().size());
    assertEquals(x, data.teacherViewOfStudentTrain());
    assertTrue(data.description().contains("train.bin(3 records)"), data.description());
  }

  @Test
  void folderWithOfficialNamesGivesTheRequestedSplitInOrder() throws IOException {
    for (int b = 1; b <= 5; b++) {
      CifarTestFiles.write(dir.resolve("data_batch_" + b + ".bin"), b, b, b);
    }
    CifarTestFiles.write(dir.resolve("test_batch.bin"), 0, 1, 2, 3);

    DistillationData data = Cifar10.fromFolder(dir, new Cifar10.Sizes(4, 5, 2));

    assertEquals(4, data.studentTrain().size());
    assertEquals(5, data.validation().size());
    assertEquals(2, data.test().size());
    assertEquals(9, data.teacherTrain().size());
    // train = batch 1 (labels 1,1,1) then the first of batch 2; validation continues from there.
    assertEquals(1.0, data.studentTrain().labels().getDouble(2, 1));
    assertEquals(1.0, data.studentTrain().labels().getDouble(3, 2));
    assertEquals(1.0, data.validation().labels().getDouble(0, 2));
    assertEquals(1.0, data.validation().labels().getDouble(4, 3));
  }

  @Test
  void askingForMoreImagesThanExistSaysHowManyThereAre() throws IOException {
    for (int b = 1; b <= 5; b++) {
      CifarTestFiles.write(dir.resolve("data_batch_" + b + ".bin"), 1, 2);
    }
    CifarTestFiles.write(dir.resolve("test_batch.bin"), 0);
    DataFileException e =
        assertThrows(DataFileException.class, () -> Cifar10.fromFolder(dir, Cifar10.Sizes.paper()));
    assertTrue(e.getMessage().contains("hold 10 images"), e.getMessage());
  }

  @Test
  void missingFolderIsNamed() {
    Path missing = dir.resolve("nowhere");
    DataFileException e =
        assertThrows(DataFileException.class, () -> Cifar10.fromFolder(missing, Cifar10.Sizes.paper()));
    assertEquals(missing + ": CIFAR-10 folder does not exist", e.getMessage());
  }

  @Test
  void missingFileIsNamed() throws IOException {
    CifarTestFiles.write(dir.resolve("data_batch_1.bin"), 1);
    DataFileException e =
        assertThrows(DataFileException.class, () -> Cifar10.fromFolder(dir, Cifar10.Sizes.paper()));
    assertEquals(dir.resolve("data_batch_2.bin") + ": CIFAR-10 file does not exist", e.getMessage());
  }

  @Test
  void truncatedRecordIsNamed() throws IOException {
    Path file = CifarTestFiles.write(dir.resolve("cut.bin"), 1, 2);
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 1));
    DataFileException e = assertThrows(DataFileException.class, () -> Cifar10.read(file));
    assertTrue(e.getMessage().startsWith(file + ": size 6145 bytes is not a positive multiple"),
        e.getMessage());
  }

  @Test
  void emptyFileIsRejected() throws IOException {
    Path file = Files.write(dir.resolve("empty.bin"), new byte[0]);
    assertThrows(DataFileException.class, () -> Cifar10.read(file));
  }

  @Test
  void labelOutsideZeroToNineIsNamedWithTheRecord() throws IOException {
    Path file = CifarTestFiles.write(dir.resolve("bad.bin"), 4, 10);
    DataFileException e = assertThrows(DataFileException.class, () -> Cifar10.read(file));
    assertEquals(file + ": record 1 has label 10, expected 0-9", e.getMessage());
  }
}
