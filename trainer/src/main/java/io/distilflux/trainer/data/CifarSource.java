package io.distilflux.trainer.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * CIFAR-10 binary batches of one folder: the official layout ({@code data_batch_1.bin} …
 * {@code test_batch.bin}) with the paper's split, or, in a folder holding only parts of the
 * batches, the scaled protocol: student training set = the {@code data_batch_1*} files,
 * validation = {@code data_batch_2*} … {@code data_batch_5*}, test = {@code test_batch*}.
 *
 * @param folder the folder of the batches
 * @param sizes split sizes of the official layout
 */
public record CifarSource(Path folder, Cifar10.Sizes sizes) implements DatasetSource {

  @Override
  public Loaded load() {
    if (Files.isRegularFile(folder.resolve("data_batch_1.bin"))) {
      return Loaded.sameView(Cifar10.fromFolder(folder, sizes));
    }
    List<Path> train = binFiles("data_batch_1");
    List<Path> validation = Stream.of("data_batch_2", "data_batch_3", "data_batch_4",
            "data_batch_5")
        .flatMap(prefix -> binFiles(prefix).stream()).toList();
    List<Path> test = binFiles("test_batch");
    return Loaded.sameView(Cifar10.fromFiles(train, validation, test));
  }

  private List<Path> binFiles(String prefix) {
    if (!Files.isDirectory(folder)) {
      throw new IllegalArgumentException("CIFAR-10 folder not found: " + folder);
    }
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(p -> p.getFileName().toString().startsWith(prefix)
              && p.getFileName().toString().endsWith(".bin"))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder + ": " + e.getMessage(), e);
    }
  }
}
