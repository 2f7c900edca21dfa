package io.distilflux.trainer.cli;

import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.data.Mnist;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The MNIST data of the experiments on plain Java arrays ({@code experiment complexity},
 * {@code experiment structure}): where the idx files are and how many images of each split.
 */
final class MnistExperimentData {

  /** The images an experiment uses, and the line that describes them. */
  record Loaded(Examples train, Examples test, String description) {}

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data/mnist",
      description = "Folder of the MNIST idx files (default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Bounds(min = 1, max = 60_000)
  @Option(names = "--train-size", paramLabel = "N", defaultValue = "60000",
      description = "Training images used, the first N (all when the files hold fewer; default ${DEFAULT-VALUE}).")
  int trainSize;

  @Bounds(min = 1, max = 10_000)
  @Option(names = "--test-size", paramLabel = "N", defaultValue = "10000",
      description = "Test images used, the first N (all when the files hold fewer; default ${DEFAULT-VALUE}).")
  int testSize;

  /** Checks the sizes' bounds: one line naming the flag. */
  void check() {
    OptionBounds.check(this, name -> Optional.empty());
  }

  /** Reads the first {@code --train-size} training and {@code --test-size} test images. */
  Loaded load() {
    Examples allTrain = examples(Mnist.readFlat(dataDir, false));
    Examples allTest = examples(Mnist.readFlat(dataDir, true));
    Examples train = allTrain.head(Math.min(trainSize, allTrain.count()));
    Examples test = allTest.head(Math.min(testSize, allTest.count()));
    return new Loaded(train, test, String.format(Locale.ROOT,
        "MNIST, %d training and %d test images", train.count(), test.count()));
  }

  /** Creates the report folder, or says in one line why it cannot be written. */
  static void prepareOutput(Path output) {
    try {
      Files.createDirectories(output);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + output + ": " + e.getMessage(), e);
    }
    if (!Files.isWritable(output)) {
      throw new IllegalArgumentException("cannot write to " + output);
    }
  }

  private static Examples examples(Mnist.Flat flat) {
    return new Examples(flat.pixels(), flat.labels(), 784, Mnist.CLASSES);
  }
}
