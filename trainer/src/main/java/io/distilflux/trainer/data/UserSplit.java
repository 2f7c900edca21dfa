package io.distilflux.trainer.data;

import java.nio.file.Path;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One split read from the user's files, as plain arrays before it becomes a {@link Split}.
 *
 * @param features feature values, example after example (row-major per example)
 * @param labels class index per example, each ≥ 0
 * @param exampleShape the shape of one example, {@code [d]} or {@code [c, h, w]}
 * @param labelFile the file the labels came from, for error messages
 * @param labelRow the row number of example 0 in {@code labelFile} (2 for a CSV file's first
 *     data row, 0 for an array's first element)
 * @param labelColumn the column the labels sit in, for error messages
 */
record UserSplit(float[] features, int[] labels, long[] exampleShape, Path labelFile,
    int labelRow, String labelColumn) {

  int count() {
    return labels.length;
  }

  int maxLabel() {
    int max = -1;
    for (int label : labels) {
      max = Math.max(max, label);
    }
    return max;
  }

  /**
   * This split with one-hot labels over {@code classes}.
   *
   * @throws DataFileException naming the row of the first label outside 0 … classes − 1
   */
  Split toSplit(int classes) {
    int n = count();
    float[] y = new float[n * classes];
    for (int i = 0; i < n; i++) {
      if (labels[i] >= classes) {
        throw new DataFileException(labelFile, "row " + (labelRow + i) + ", column "
            + labelColumn + ": label " + labels[i] + " is outside 0…" + (classes - 1)
            + " (the classes of the training file)");
      }
      y[i * classes + labels[i]] = 1f;
    }
    long[] shape = new long[exampleShape.length + 1];
    shape[0] = n;
    System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
    return new Split(Nd4j.create(features, shape), Nd4j.create(y, new long[] {n, classes}));
  }

  /**
   * The three splits as distillation data; the classes are the training labels' 0 … max.
   *
   * @throws DataFileException when the training file has a single class or the validation or
   *     test labels fall outside the training file's classes
   */
  static DistillationData distillationData(String description, UserSplit train,
      UserSplit validation, UserSplit test) {
    int classes = train.maxLabel() + 1;
    if (classes < 2) {
      throw new DataFileException(train.labelFile(), "column " + train.labelColumn()
          + ": every label is 0; at least two classes are needed");
    }
    Split trainSplit = train.toSplit(classes);
    return new DistillationData(description + ", " + classes + " classes", trainSplit, trainSplit,
        trainSplit.features(), validation.toSplit(classes), test.toSplit(classes), classes);
  }
}
