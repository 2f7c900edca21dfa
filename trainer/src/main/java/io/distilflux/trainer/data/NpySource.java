package io.distilflux.trainer.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The user's NumPy {@code .npy} files, a features file and a labels file per split, read with
 * ND4J's NumPy support: features {@code [n, d]} or images {@code [n, c, h, w]}, labels {@code
 * [n]} (or {@code [n, 1]}) of integer classes 0 … K − 1, K = the training labels' largest + 1.
 *
 * @param train features and labels of the training set
 * @param validation those of D_val
 * @param test those of D_test
 */
public record NpySource(Pair train, Pair validation, Pair test) implements DatasetSource {

  /**
   * One split's two files.
   *
   * @param features the features {@code .npy}
   * @param labels the labels {@code .npy}
   */
  public record Pair(Path features, Path labels) {}

  @Override
  public Loaded load() {
    UserSplit trainSplit = read(train, null);
    UserSplit validationSplit = read(validation, trainSplit.exampleShape());
    UserSplit testSplit = read(test, trainSplit.exampleShape());
    String description = String.format(Locale.ROOT, "NumPy %s/%s/%s: %d/%d/%d examples of %s",
        train.features().getFileName(), validation.features().getFileName(),
        test.features().getFileName(), trainSplit.count(), validationSplit.count(),
        testSplit.count(), Arrays.toString(trainSplit.exampleShape()));
    return Loaded.sameView(UserSplit.distillationData(description, trainSplit, validationSplit,
        testSplit));
  }

  /** An array from a {@code .npy} file, or a one-line error naming it. */
  public static INDArray array(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new DataFileException(file, "file not found");
    }
    try {
      return Nd4j.createFromNpyFile(file.toFile());
    } catch (RuntimeException e) {
      throw new DataFileException(file, "not a readable NumPy .npy file (" + e.getMessage() + ")",
          e);
    }
  }

  private static UserSplit read(Pair pair, long[] expectedShape) {
    INDArray x = array(pair.features());
    INDArray y = array(pair.labels());
    if (x.rank() < 2) {
      throw new DataFileException(pair.features(), "shape " + Arrays.toString(x.shape())
          + ": expected [n, d] features or [n, c, h, w] images");
    }
    long n = x.size(0);
    if (n == 0) {
      throw new DataFileException(pair.features(), "holds no examples (shape "
          + Arrays.toString(x.shape()) + ")");
    }
    long[] example = Arrays.copyOfRange(x.shape(), 1, x.rank());
    if (expectedShape != null && !Arrays.equals(example, expectedShape)) {
      throw new DataFileException(pair.features(), "examples of shape "
          + Arrays.toString(example) + ", the training features' are "
          + Arrays.toString(expectedShape));
    }
    boolean column = y.rank() == 2 && y.size(1) == 1;
    if (!(y.rank() == 1 || column) || y.size(0) != n) {
      throw new DataFileException(pair.labels(), "shape " + Arrays.toString(y.shape())
          + ", expected [" + n + "] labels to match " + pair.features().getFileName());
    }
    float[] features = x.castTo(DataType.FLOAT).dup('c').data().asFloat();
    for (int i = 0; i < features.length; i++) {
      if (!Float.isFinite(features[i])) {
        long perExample = features.length / n;
        throw new DataFileException(pair.features(), "row " + (i / perExample) + ", column "
            + (i % perExample) + ": " + features[i] + " is not finite");
      }
    }
    double[] raw = y.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    int[] labels = new int[raw.length];
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] != Math.rint(raw[i]) || raw[i] < 0 || raw[i] > Integer.MAX_VALUE) {
        throw new DataFileException(pair.labels(), "row " + i + ", column 0: " + raw[i]
            + " is not a class 0…K−1");
      }
      labels[i] = (int) raw[i];
    }
    return new UserSplit(features, labels, example, pair.labels(), 0, "0");
  }
}
