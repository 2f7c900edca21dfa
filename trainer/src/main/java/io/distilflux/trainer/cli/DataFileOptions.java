package io.distilflux.trainer.cli;

import io.distilflux.trainer.run.InputSources;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The flags naming the user's data files, {@code --dataset csv} and {@code --dataset npy}: a
 * picocli mixin shared by {@code run}, {@code experiment} and {@code teacher}.
 */
final class DataFileOptions {

  @Option(names = "--train", paramLabel = "FILE",
      description = "--dataset csv: the training set, a CSV file with a header row, a label column of classes 0…K−1 and numeric feature columns (default: none).")
  Path trainFile;

  @Option(names = "--validation", paramLabel = "FILE",
      description = "--dataset csv: the validation set D_val, the training file's columns (default: none).")
  Path validationFile;

  @Option(names = "--test", paramLabel = "FILE",
      description = "--dataset csv: the test set, the training file's columns (default: none).")
  Path testFile;

  @Option(names = "--train-x", paramLabel = "FILE",
      description = "--dataset npy: the training features (.npy, [n, d] or images [n, c, h, w]) (default: none).")
  Path trainX;

  @Option(names = "--train-y", paramLabel = "FILE",
      description = "--dataset npy: the training labels (.npy, [n] integer classes 0…K−1) (default: none).")
  Path trainY;

  @Option(names = "--validation-x", paramLabel = "FILE",
      description = "--dataset npy: the validation features (default: none).")
  Path validationX;

  @Option(names = "--validation-y", paramLabel = "FILE",
      description = "--dataset npy: the validation labels (default: none).")
  Path validationY;

  @Option(names = "--test-x", paramLabel = "FILE",
      description = "--dataset npy: the test features (default: none).")
  Path testX;

  @Option(names = "--test-y", paramLabel = "FILE",
      description = "--dataset npy: the test labels (default: none).")
  Path testY;

  /** The CSV files by role ({@code train}, {@code validation}, {@code test}). */
  Map<String, Optional<Path>> csv() {
    Map<String, Optional<Path>> files = new LinkedHashMap<>();
    files.put(InputSources.TRAIN, Optional.ofNullable(trainFile));
    files.put(InputSources.VALIDATION, Optional.ofNullable(validationFile));
    files.put(InputSources.TEST, Optional.ofNullable(testFile));
    return files;
  }

  /** The NumPy files by role ({@code train-x} … {@code test-y}). */
  Map<String, Optional<Path>> npy() {
    Map<String, Optional<Path>> files = new LinkedHashMap<>();
    Path[] given = {trainX, trainY, validationX, validationY, testX, testY};
    for (int i = 0; i < given.length; i++) {
      files.put(InputSources.NPY_ROLES.get(i), Optional.ofNullable(given[i]));
    }
    return files;
  }

  /** The files given, as long flag names (without dashes) and values. */
  Map<String, String> flags() {
    Map<String, String> flags = new LinkedHashMap<>();
    csv().forEach((role, file) -> file.ifPresent(f -> flags.put(role, f.toString())));
    npy().forEach((role, file) -> file.ifPresent(f -> flags.put(role, f.toString())));
    return flags;
  }
}
