package io.distilflux.trainer.data;

import java.nio.file.Path;

/**
 * MNIST idx files of one folder.
 *
 * @param folder the folder of the four idx files
 * @param options split sizes and standardisation
 */
public record MnistSource(Path folder, Mnist.Options options) implements DatasetSource {

  @Override
  public Loaded load() {
    return Loaded.sameView(Mnist.fromFolder(folder, options));
  }
}
