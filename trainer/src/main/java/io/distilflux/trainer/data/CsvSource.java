package io.distilflux.trainer.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The user's CSV files, one per split: a header row naming the columns, a {@code label} column
 * of integer classes 0 … K − 1 (K = the training file's largest label + 1), every other column a
 * numeric feature, the same columns in every file. Each file is read once, line by line.
 *
 * @param train the student's (and a teacher's) training set
 * @param validation D_val
 * @param test D_test
 */
public record CsvSource(Path train, Path validation, Path test) implements DatasetSource {

  /** The name of the label column. */
  public static final String LABEL = "label";

  @Override
  public Loaded load() {
    UserSplit trainSplit = read(train, null);
    List<String> header = header(train);
    UserSplit validationSplit = read(validation, header);
    UserSplit testSplit = read(test, header);
    String description = String.format(Locale.ROOT, "CSV %s/%s/%s: %d/%d/%d rows, %d features",
        train.getFileName(), validation.getFileName(), test.getFileName(), trainSplit.count(),
        validationSplit.count(), testSplit.count(), trainSplit.exampleShape()[0]);
    return Loaded.sameView(UserSplit.distillationData(description, trainSplit, validationSplit,
        testSplit));
  }

  private static List<String> header(Path file) {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return columns(in.readLine());
    } catch (IOException e) {
      throw new DataFileException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * One file, streamed.
   *
   * @param expectedHeader the training file's columns, which this file must repeat; null for
   *     the training file itself
   */
  private static UserSplit read(Path file, List<String> expectedHeader) {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String first = in.readLine();
      if (first == null || first.isBlank()) {
        throw new DataFileException(file, "empty file (expected a header row with a '" + LABEL
            + "' column)");
      }
      List<String> header = columns(first);
      int labelAt = header.indexOf(LABEL);
      if (labelAt < 0) {
        throw new DataFileException(file, "row 1: no '" + LABEL + "' column in the header "
            + header);
      }
      if (header.size() < 2) {
        throw new DataFileException(file, "row 1: no feature column beside '" + LABEL + "'");
      }
      if (expectedHeader != null && !header.equals(expectedHeader)) {
        throw new DataFileException(file, "row 1: columns " + header
            + " differ from the training file's " + expectedHeader);
      }
      int width = header.size() - 1;
      FloatBuffer features = new FloatBuffer();
      int[] labels = new int[1024];
      int rows = 0;
      int lineNumber = 1;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        String[] cells = line.split(",", -1);
        if (cells.length != header.size()) {
          throw new DataFileException(file, "row " + lineNumber + ": " + cells.length
              + " columns, the header has " + header.size());
        }
        for (int c = 0; c < cells.length; c++) {
          if (c == labelAt) {
            if (rows == labels.length) {
              labels = Arrays.copyOf(labels, rows * 2);
            }
            labels[rows] = label(file, lineNumber, cells[c]);
          } else {
            features.add(number(file, lineNumber, header.get(c), cells[c]));
          }
        }
        rows++;
      }
      if (rows == 0) {
        throw new DataFileException(file, "no data rows after the header");
      }
      return new UserSplit(features.toArray(), Arrays.copyOf(labels, rows), new long[] {width},
          file, 2, LABEL);
    } catch (NoSuchFileException e) {
      throw new DataFileException(file, "file not found", e);
    } catch (IOException e) {
      throw new DataFileException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  private static List<String> columns(String line) {
    return Arrays.stream(line.split(",", -1)).map(String::trim).toList();
  }

  private static int label(Path file, int row, String cell) {
    String text = cell.trim();
    try {
      int label = Integer.parseInt(text);
      if (label < 0) {
        throw new DataFileException(file, "row " + row + ", column " + LABEL + ": label "
            + label + " is negative (classes are 0…K−1)");
      }
      return label;
    } catch (NumberFormatException e) {
      throw new DataFileException(file, "row " + row + ", column " + LABEL + ": '" + text
          + "' is not an integer class");
    }
  }

  private static float number(Path file, int row, String column, String cell) {
    String text = cell.trim();
    float value;
    try {
      value = Float.parseFloat(text);
    } catch (NumberFormatException e) {
      throw new DataFileException(file, "row " + row + ", column " + column + ": '" + text
          + "' is not a number");
    }
    if (!Float.isFinite(value)) {
      throw new DataFileException(file, "row " + row + ", column " + column + ": '" + text
          + "' is not finite");
    }
    return value;
  }

  /** A growable float array: the rows are read once, without boxing. */
  private static final class FloatBuffer {
    private float[] values = new float[4096];
    private int size;

    void add(float value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = value;
    }

    float[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }
}
