package io.distilflux.trainer.data;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Downloads the four official MNIST {@code .gz} files from a mirror and verifies each one's
 * SHA-256 (of the published gzip bytes) before it is used.
 */
public final class MnistDownloader {

  /** The mirror PyTorch uses for the original files. */
  public static final URI MIRROR = URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/");

  /** SHA-256 of the original gzip files. */
  public static final Map<String, String> SHA256 =
      Map.of(
          "train-images-idx3-ubyte.gz",
          "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
          "train-labels-idx1-ubyte.gz",
          "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
          "t10k-images-idx3-ubyte.gz",
          "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
          "t10k-labels-idx1-ubyte.gz",
          "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6");

  private MnistDownloader() {}

  /**
   * Downloads the files missing from {@code folder} and verifies all four.
   *
   * @return the four files
   * @throws DataFileException naming the file whose checksum does not match
   */
  public static List<Path> download(Path folder) {
    return download(MIRROR, folder);
  }

  /** As {@link #download(Path)} from another mirror (a base URI ending in '/'). */
  public static List<Path> download(URI mirror, Path folder) {
    List<Path> files = new ArrayList<>();
    for (String name : List.of(
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")) {
      Path target = folder.resolve(name);
      if (!Files.isRegularFile(target)) {
        Downloads.fetch(mirror.resolve(name), target);
      }
      verify(target);
      files.add(target);
    }
    return files;
  }

  /**
   * Checks a downloaded file against the official SHA-256 for its name.
   *
   * @throws DataFileException on mismatch or an unknown file name
   */
  public static void verify(Path file) {
    String expected = SHA256.get(file.getFileName().toString());
    if (expected == null) {
      throw new DataFileException(file, "not an official MNIST file name " + SHA256.keySet());
    }
    Checksums.verify(file, "SHA-256", expected);
  }
}
