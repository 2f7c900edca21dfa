package io.distilflux.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class MnistTest {

  @TempDir Path dir;

  private static int pixel(int image, int position) {
    return (image * 31 + position) % 256;
  }

  private static byte[] images(int magic, int n, int rows, int cols) {
    ByteBuffer b = ByteBuffer.allocate(16 + n * rows * cols);
    b.putInt(magic).putInt(n).putInt(rows).putInt(cols);
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < rows * cols; p++) {
        b.put((byte) pixel(i, p));
      }
    }
    return b.array();
  }

  private static byte[] labels(int magic, int... values) {
    ByteBuffer b = ByteBuffer.allocate(8 + values.length);
    b.putInt(magic).putInt(values.length);
    for (int v : values) {
      b.put((byte) v);
    }
    return b.array();
  }

  private static byte[] gzip(byte[] raw) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      out.write(raw);
    }
    return bytes.toByteArray();
  }

  /** A folder with 5 training and 2 test images of 28×28; gzip for the training files. */
  private Path folder() throws IOException {
    Files.write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(images(2051, 5, 28, 28)));
    Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), gzip(labels(2049, 0, 1, 2, 9, 4)));
    Files.write(dir.resolve("t10k-images-idx3-ubyte"), images(2051, 2, 28, 28));
    Files.write(dir.resolve("t10k-labels-idx1-ubyte"), labels(2049, 7, 3));
    return dir;
  }

  @Test
  void readsGzipAndRawFilesIntoFlatScaledPixels() throws IOException {
    DistillationData data = Mnist.fromFolder(folder(), new Mnist.Options(3, 2, 2, false));

    INDArray x = data.studentTrain().features();
    assertArrayEquals(new long[] {3, 784}, x.shape());
    assertEquals(pixel(1, 100) / 255.0, x.getDouble(1, 100), 1e-6);
    assertEquals(1.0, data.studentTrain().labels().getDouble(2, 2));
    assertEquals(1.0, data.validation().labels().getDouble(0, 9));
    assertEquals(pixel(4, 783) / 255.0, data.validation().features().getDouble(1, 783), 1e-6);
    assertEquals(1.0, data.test().labels().getDouble(1, 3));
    assertEquals(pixel(0, 5) / 255.0, data.test().features().getDouble(0, 5), 1e-6);
    assertEquals(5, data.teacherTrain().size());
  }

  @Test
  void standardizeAppliesTheMnistMeanAndStd() throws IOException {
    DistillationData data = Mnist.fromFolder(folder(), new Mnist.Options(3, 2, 2, true));
    double expected = (pixel(2, 300) / 255.0 - 0.1307) / 0.3081;
    assertEquals(expected, data.studentTrain().features().getDouble(2, 300), 1e-5);
  }

  @Test
  void fewerImagesThanAskedSaysHowMany() throws IOException {
    DataFileException e = assertThrows(DataFileException.class,
        () -> Mnist.fromFolder(folder(), Mnist.Options.defaults()));
    assertTrue(e.getMessage().contains("holds 5 images"), e.getMessage());
  }

  @Test
  void missingFileIsNamed() throws IOException {
    folder();
    Files.delete(dir.resolve("t10k-labels-idx1-ubyte"));
    DataFileException e = assertThrows(DataFileException.class,
        () -> Mnist.fromFolder(dir, new Mnist.Options(3, 2, 2, false)));
    assertTrue(e.getMessage().startsWith(dir.resolve("t10k-labels-idx1-ubyte")
        + ": MNIST file does not exist"), e.getMessage());
  }

  @Test
  void wrongMagicIsNamed() throws IOException {
    Path imagesFile = Files.write(dir.resolve("img"), images(2049, 1, 28, 28));
    Path labelsFile = Files.write(dir.resolve("lab"), labels(2049, 1));
    DataFileException e =
        assertThrows(DataFileException.class, () -> Mnist.read(imagesFile, labelsFile, false));
    assertEquals(imagesFile + ": idx magic number is 2049, expected 2051", e.getMessage());
  }

  @Test
  void truncatedGzipImagesAreNamed() throws IOException {
    byte[] full = images(2051, 3, 28, 28);
    Path imagesFile = Files.write(dir.resolve("img.gz"),
        gzip(java.util.Arrays.copyOf(full, full.length - 10)));
    Path labelsFile = Files.write(dir.resolve("lab"), labels(2049, 1, 2, 3));
    DataFileException e =
        assertThrows(DataFileException.class, () -> Mnist.read(imagesFile, labelsFile, false));
    assertTrue(e.getMessage().startsWith(imagesFile + ": has 2358 bytes"), e.getMessage());
  }

  @Test
  void truncatedHeaderIsNamed() throws IOException {
    Path imagesFile = Files.write(dir.resolve("img"), new byte[] {0, 0, 8, 3});
    Path labelsFile = Files.write(dir.resolve("lab"), labels(2049, 1));
    DataFileException e =
        assertThrows(DataFileException.class, () -> Mnist.read(imagesFile, labelsFile, false));
    assertTrue(e.getMessage().startsWith(imagesFile + ": has 4 bytes"), e.getMessage());
  }

  @Test
  void countMismatchIsNamed() throws IOException {
    Path imagesFile = Files.write(dir.resolve("img"), images(2051, 2, 28, 28));
    Path labelsFile = Files.write(dir.resolve("lab"), labels(2049, 1, 2, 3));
    DataFileException e =
        assertThrows(DataFileException.class, () -> Mnist.read(imagesFile, labelsFile, false));
    assertEquals(labelsFile + ": holds 3 labels but img holds 2 images", e.getMessage());
  }

  @Test
  void labelTenIsNamed() throws IOException {
    Path imagesFile = Files.write(dir.resolve("img"), images(2051, 2, 28, 28));
    Path labelsFile = Files.write(dir.resolve("lab"), labels(2049, 1, 10));
    DataFileException e =
        assertThrows(DataFileException.class, () -> Mnist.read(imagesFile, labelsFile, false));
    assertEquals(labelsFile + ": label 1 is 10, expected 0-9", e.getMessage());
  }
}
