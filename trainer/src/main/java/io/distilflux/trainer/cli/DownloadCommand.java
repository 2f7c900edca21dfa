package io.distilflux.trainer.cli;

import io.distilflux.trainer.data.CifarDownloader;
import io.distilflux.trainer.data.MnistDownloader;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distilflux download}: fetches a dataset from its official source and checks it. */
@Command(name = "download", mixinStandardHelpOptions = true,
    description = {
      "Downloads CIFAR-10 or MNIST into a folder, checksums checked.",
      "CIFAR-10: the binary version, MD5 checked, then the batches are extracted; MNIST: the four idx files, SHA-256 checked. Files already there are checked, not fetched again."
    })
final class DownloadCommand implements Callable<Integer> {

  @Option(names = "--dataset", paramLabel = "NAME", required = true, description = "cifar10 or mnist.")
  String dataset;

  @Option(names = "--data-dir", paramLabel = "DIR", required = true, description = "Target folder.")
  Path dataDir;

  @Override
  public Integer call() {
    List<Path> files = switch (dataset.toLowerCase(Locale.ROOT)) {
      case "cifar10" -> CifarDownloader.download(dataDir);
      case "mnist" -> MnistDownloader.download(dataDir);
      default -> throw new IllegalArgumentException(
          "--dataset unknown value '" + dataset + "' (one of cifar10, mnist)");
    };
    files.forEach(file -> System.out.println(file));
    return 0;
  }
}
