package io.distilflux.trainer.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10 from the original binary batches: each record is 1 label byte then 3 072 pixel bytes
 * (R, G, B planes of 32×32), so a file is a positive multiple of 3 073 bytes. Any such file is
 * read, full official batches or parts of them. Pixels are normalised per channel with the
 * reference notebook's mean (125.3, 123.0, 113.9)/255 and std (63.0, 62.1, 66.7)/255 and come
 * out as float32 NCHW [n, 3, 32, 32]. The teacher is trained on training + validation images and
 * sees the same inputs as the student.
 */
public final class Cifar10 {

  /** Number of classes. */
  public static final int CLASSES = 10;
  /** Bytes of one record: label plus 3×32×32 pixels. */
  public static final int RECORD_BYTES = 1 + 3 * 32 * 32;
  /** Official training batch names, in order. */
  public static final List<String> TRAIN_FILES =
      List.of(
          "data_batch_1.bin",
          "data_batch_2.bin",
          "data_batch_3.bin",
          "data_batch_4.bin",
          "data_batch_5.bin");
  /** Official test batch name. */
  public static final String TEST_FILE = "test_batch.bin";

  private static final double[] MEAN = {125.3, 123.0, 113.9};
  private static final double[] STD = {63.0, 62.1, 66.7};
  private static final int PLANE = 32 * 32;

  /**
   * Split sizes taken, in order, from the concatenated training batches (train first, then
   * validation) and from the test batch.
   *
   * @param train student training images
   * @param validation validation images (the ones following the training images)
   * @param test test images
   */
  public record Sizes(int train, int validation, int test) {

    /** Checks that every size is positive. */
    public Sizes {
      if (train <= 0 || validation <= 0 || test <= 0) {
        throw new IllegalArgumentException(
            "CIFAR-10 split sizes must be > 0, got train=" + train + " validation=" + validation
                + " test=" + test);
      }
    }

    /** The paper's split: 10 112 / 10 112 / 10 000. */
    public static Sizes paper() {
      return new Sizes(10_112, 10_112, 10_000);
    }
  }

  private Cifar10() {}

  /**
   * Loads the paper's protocol from a folder holding the official batch names.
   *
   * @throws DataFileException if the folder or a file is missing or bad, or it holds fewer images
   *     than asked (the message says how many there are)
   */
  public static DistillationData fromFolder(Path folder, Sizes sizes) {
    if (!Files.isDirectory(folder)) {
      throw new DataFileException(folder, "CIFAR-10 folder does not exist");
    }
    List<Path> trainFiles = TRAIN_FILES.stream().map(folder::resolve).toList();
    Path testFile = folder.resolve(TEST_FILE);
    trainFiles.forEach(Cifar10::requireFile);
    requireFile(testFile);
    int wanted = sizes.train() + sizes.validation();
    List<LabelledImages> parts = new ArrayList<>();
    int have = 0;
    StringBuilder read = new StringBuilder();
    for (Path file : trainFiles) {
      if (have >= wanted) {
        break;
      }
      LabelledImages part = read(file);
      parts.add(part);
      have += part.count();
      read.append(describe(file, part)).append(' ');
    }
    if (have < wanted) {
      throw new DataFileException(
          folder,
          "training batches hold " + have + " images, fewer than train+validation = " + wanted);
    }
    LabelledImages trainPool = LabelledImages.concat(parts);
    LabelledImages test = read(testFile);
    if (test.count() < sizes.test()) {
      throw new DataFileException(
          testFile, "holds " + test.count() + " images, fewer than test = " + sizes.test());
    }
    Split train = trainPool.split(0, sizes.train(), CLASSES);
    Split validation = trainPool.split(sizes.train(), sizes.validation(), CLASSES);
    Split teacher = trainPool.split(0, wanted, CLASSES);
    String description =
        String.format(
            "cifar10 folder=%s read: %s%s; train=%d validation=%d test=%d teacherTrain=%d",
            folder.getFileName(), read, describe(testFile, test), sizes.train(),
            sizes.validation(), sizes.test(), wanted);
    return new DistillationData(
        description, teacher, train, train.features(), validation,
        test.split(0, sizes.test(), CLASSES), CLASSES);
  }

  /**
   * The scaled protocol: every record of the given files, student train = {@code trainFiles},
   * validation = {@code validationFiles}, test = {@code testFiles}, teacher trained on train +
   * validation.
   */
  public static DistillationData fromFiles(
      List<Path> trainFiles, List<Path> validationFiles, List<Path> testFiles) {
    requireNonEmpty("train", trainFiles);
    requireNonEmpty("validation", validationFiles);
    requireNonEmpty("test", testFiles);
    StringBuilder read = new StringBuilder();
    LabelledImages train = readAll(trainFiles, read);
    LabelledImages validation = readAll(validationFiles, read);
    LabelledImages test = readAll(testFiles, read);
    LabelledImages teacher = LabelledImages.concat(List.of(train, validation));
    Split trainSplit = train.split(0, train.count(), CLASSES);
    String description =
        String.format(
            "cifar10 files read:%s; train=%d validation=%d test=%d teacherTrain=%d",
            read, train.count(), validation.count(), test.count(), teacher.count());
    return new DistillationData(
        description,
        teacher.split(0, teacher.count(), CLASSES),
        trainSplit,
        trainSplit.features(),
        validation.split(0, validation.count(), CLASSES),
        test.split(0, test.count(), CLASSES),
        CLASSES);
  }

  /** Reads and normalises every record of one file. */
  static LabelledImages read(Path file) {
    requireFile(file);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new DataFileException(file, "cannot read: " + e.getMessage(), e);
    }
    if (bytes.length == 0 || bytes.length % RECORD_BYTES != 0) {
      throw new DataFileException(
          file,
          "size " + bytes.length + " bytes is not a positive multiple of the CIFAR-10 record size "
              + RECORD_BYTES + " (truncated record?)");
    }
    int n = bytes.length / RECORD_BYTES;
    float[] pixels = new float[n * 3 * PLANE];
    byte[] labels = new byte[n];
    float[] scale = new float[3];
    float[] shift = new float[3];
    for (int c = 0; c < 3; c++) {
      scale[c] = (float) (1.0 / STD[c]); // (p/255 - m/255) / (s/255) = (p - m) / s
      shift[c] = (float) (-MEAN[c] / STD[c]);
    }
    for (int i = 0; i < n; i++) {
      int at = i * RECORD_BYTES;
      int label = bytes[at] & 0xff;
      if (label > 9) {
        throw new DataFileException(
            file, "record " + i + " has label " + label + ", expected 0-9");
      }
      labels[i] = (byte) label;
      int out = i * 3 * PLANE;
      for (int p = 0; p < 3 * PLANE; p++) {
        int channel = p / PLANE;
        pixels[out + p] = (bytes[at + 1 + p] & 0xff) * scale[channel] + shift[channel];
      }
    }
    return new LabelledImages(pixels, labels, new long[] {3, 32, 32});
  }

  private static LabelledImages readAll(List<Path> files, StringBuilder read) {
    List<LabelledImages> parts = new ArrayList<>();
    for (Path file : files) {
      LabelledImages part = read(file);
      parts.add(part);
      read.append(' ').append(describe(file, part));
    }
    return LabelledImages.concat(parts);
  }

  private static String describe(Path file, LabelledImages images) {
    return file.getFileName() + "(" + images.count() + " records)";
  }

  private static void requireFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new DataFileException(file, "CIFAR-10 file does not exist");
    }
  }

  private static void requireNonEmpty(String split, List<Path> files) {
    if (files == null || files.isEmpty()) {
      throw new IllegalArgumentException("CIFAR-10 " + split + " file list is empty");
    }
  }
}
