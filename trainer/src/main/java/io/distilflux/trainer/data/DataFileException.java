package io.distilflux.trainer.data;

import java.nio.file.Path;

/** A data file or folder that cannot be used; the message is one line naming the culprit. */
public final class DataFileException extends RuntimeException {

  /**
   * @param path the offending file or folder
   * @param problem what is wrong with it
   */
  public DataFileException(Path path, String problem) {
    super(path + ": " + problem);
  }

  /**
   * @param path the offending file or folder
   * @param problem what is wrong with it
   * @param cause the underlying error
   */
  public DataFileException(Path path, String problem, Throwable cause) {
    super(path + ": " + problem, cause);
  }
}
