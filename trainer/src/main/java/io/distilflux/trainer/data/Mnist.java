package io.distilflux.trainer.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * MNIST from the idx files ({@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code t10k-...}), gzip-compressed or not (detected by the magic bytes 0x1f 0x8b, with or
 * without a {@code .gz} name). Pixels are scaled to [0, 1]; {@link Options#standardize()} further
 * normalises with mean 0.1307 and std 0.3081. Features come out flattened, float32 [n, 784].
 * Teacher and student both see the images; the teacher is trained on train + validation.
 */
public final class Mnist {

  /** Number of classes. */
  public static final int CLASSES = 10;
  /** Official file names (without {@code .gz}). */
  public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
  /** Official file names (without {@code .gz}). */
  public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
  /** Official file names (without {@code .gz}). */
  public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
  /** Official file names (without {@code .gz}). */
  public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

  static final int IMAGES_MAGIC = 2051;
  static final int LABELS_MAGIC = 2049;
  private static final float MEAN = 0.1307f;
  private static final float STD = 0.3081f;

  /**
   * Split sizes and normalisation.
   *
   * @param train student training images, the first of the 60 000 training images
   * @param validation validation images, the ones following them
   * @param test test images, the first of the 10 000
   * @param standardize also subtract 0.1307 and divide by 0.3081 after scaling to [0, 1]
   */
  public record Options(int train, int validation, int test, boolean standardize) {

    /** Checks that every size is positive. */
    public Options {
      if (train <= 0 || validation <= 0 || test <= 0) {
        throw new IllegalArgumentException(
            "MNIST split sizes must be > 0, got train=" + train + " validation=" + validation
                + " test=" + test);
      }
    }

    /** 50 000 / 10 000 / 10 000, pixels in [0, 1]. */
    public static Options defaults() {
      return new Options(50_000, 10_000, 10_000, false);
    }
  }

  private Mnist() {}

  /**
   * Loads the four files from a folder ({@code name} or {@code name.gz}).
   *
   * @throws DataFileException on a missing, truncated or inconsistent file, or fewer images than
   *     asked
   */
  public static DistillationData fromFolder(Path folder, Options options) {
    if (!Files.isDirectory(folder)) {
      throw new DataFileException(folder, "MNIST folder does not exist");
    }
    LabelledImages train =
        read(locate(folder, TRAIN_IMAGES), locate(folder, TRAIN_LABELS), options.standardize());
    LabelledImages test =
        read(locate(folder, TEST_IMAGES), locate(folder, TEST_LABELS), options.standardize());
    int wanted = options.train() + options.validation();
    if (train.count() < wanted) {
      throw new DataFileException(folder.resolve(TRAIN_IMAGES),
          "holds " + train.count() + " images, fewer than train+validation = " + wanted);
    }
    if (test.count() < options.test()) {
      throw new DataFileException(folder.resolve(TEST_IMAGES),
          "holds " + test.count() + " images, fewer than test = " + options.test());
    }
    Split studentTrain = train.split(0, options.train(), CLASSES);
    String description =
        String.format(
            "mnist folder=%s read: train files %d images, test files %d images; train=%d "
                + "validation=%d test=%d teacherTrain=%d standardize=%b",
            folder.getFileName(), train.count(), test.count(), options.train(),
            options.validation(), options.test(), wanted, options.standardize());
    return new DistillationData(
        description,
        train.split(0, wanted, CLASSES),
        studentTrain,
        studentTrain.features(),
        train.split(options.train(), options.validation(), CLASSES),
        test.split(0, options.test(), CLASSES),
        CLASSES);
  }

  /**
   * One of MNIST's two sets as plain arrays, pixels in [0, 1], for code that does not need
   * ND4J.
   *
   * @param pixels 784 per image, image after image
   * @param labels class per image, 0–9
   */
  public record Flat(float[] pixels, byte[] labels) {}

  /**
   * All images of the training set ({@code test} false) or of the test set from a folder, pixels
   * scaled to [0, 1].
   *
   * @throws DataFileException on a missing, truncated or inconsistent file
   */
  public static Flat readFlat(Path folder, boolean test) {
    if (!Files.isDirectory(folder)) {
      throw new DataFileException(folder, "MNIST folder does not exist");
    }
    LabelledImages images = test
        ? read(locate(folder, TEST_IMAGES), locate(folder, TEST_LABELS), false)
        : read(locate(folder, TRAIN_IMAGES), locate(folder, TRAIN_LABELS), false);
    if (images.exampleSize() != 784) {
      throw new DataFileException(folder, "images are not 28x28");
    }
    return new Flat(images.pixels(), images.labels());
  }

  /** Reads an images file and its labels file, checking that they agree. */
  static LabelledImages read(Path imagesFile, Path labelsFile, boolean standardize) {
    ByteBuffer images = ByteBuffer.wrap(readMaybeGzip(imagesFile));
    ByteBuffer labels = ByteBuffer.wrap(readMaybeGzip(labelsFile));
    int n = header(images, imagesFile, IMAGES_MAGIC, 16);
    int rows = images.getInt();
    int cols = images.getInt();
    if (rows <= 0 || cols <= 0) {
      throw new DataFileException(imagesFile, "bad image dimensions " + rows + "x" + cols);
    }
    long expected = 16L + (long) n * rows * cols;
    if (images.capacity() != expected) {
      throw new DataFileException(imagesFile, "has " + images.capacity() + " bytes, header ("
          + n + " images of " + rows + "x" + cols + ") needs " + expected + " (truncated?)");
    }
    int labelCount = header(labels, labelsFile, LABELS_MAGIC, 8);
    if (labels.capacity() != 8L + labelCount) {
      throw new DataFileException(labelsFile, "has " + labels.capacity() + " bytes, header ("
          + labelCount + " labels) needs " + (8L + labelCount) + " (truncated?)");
    }
    if (labelCount != n) {
      throw new DataFileException(
          labelsFile, "holds " + labelCount + " labels but " + imagesFile.getFileName()
              + " holds " + n + " images");
    }
    byte[] labelBytes = new byte[n];
    labels.get(labelBytes);
    for (int i = 0; i < n; i++) {
      if ((labelBytes[i] & 0xff) > 9) {
        throw new DataFileException(
            labelsFile, "label " + i + " is " + (labelBytes[i] & 0xff) + ", expected 0-9");
      }
    }
    float[] pixels = new float[n * rows * cols];
    float scale = standardize ? 1f / (255f * STD) : 1f / 255f;
    float shift = standardize ? -MEAN / STD : 0f;
    byte[] raw = images.array();
    for (int p = 0; p < pixels.length; p++) {
      pixels[p] = (raw[16 + p] & 0xff) * scale + shift;
    }
    return new LabelledImages(pixels, labelBytes, new long[] {(long) rows * cols});
  }

  private static int header(ByteBuffer buffer, Path file, int magic, int headerBytes) {
    if (buffer.capacity() < headerBytes) {
      throw new DataFileException(file, "has " + buffer.capacity() + " bytes, shorter than the "
          + headerBytes + "-byte idx header (truncated?)");
    }
    int found = buffer.getInt();
    if (found != magic) {
      throw new DataFileException(file, "idx magic number is " + found + ", expected " + magic);
    }
    int count = buffer.getInt();
    if (count < 0) {
      throw new DataFileException(file, "negative item count " + count);
    }
    return count;
  }

  /** File bytes, gunzipped when they start with the gzip magic 0x1f 0x8b. */
  static byte[] readMaybeGzip(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new DataFileException(file, "MNIST file does not exist");
    }
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
      raw.mark(2);
      int b0 = raw.read();
      int b1 = raw.read();
      raw.reset();
      if (b0 == 0x1f && b1 == 0x8b) {
        try (InputStream gz = new GZIPInputStream(raw, 1 << 16)) {
          return gz.readAllBytes();
        }
      }
      return raw.readAllBytes();
    } catch (IOException e) {
      throw new DataFileException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  private static Path locate(Path folder, String name) {
    Path plain = folder.resolve(name);
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    Path gz = folder.resolve(name + ".gz");
    if (Files.isRegularFile(gz)) {
      return gz;
    }
    throw new DataFileException(plain, "MNIST file does not exist (nor " + gz.getFileName() + ")");
  }
}
