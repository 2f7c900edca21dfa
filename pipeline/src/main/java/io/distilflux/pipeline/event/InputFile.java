package io.distilflux.pipeline.event;

/**
 * A file the user brought to a run (data, teacher, logits or student), recorded with its digest
 * so a replay knows exactly what was used.
 *
 * @param role what the file is: {@code train}, {@code validation}, {@code test}, {@code
 *     train-x} …, {@code teacher}, {@code teacher-logits} or {@code student}
 * @param path the path as given
 * @param sha256 hexadecimal SHA-256 of its bytes when the run started
 */
public record InputFile(String role, String path, String sha256) {

  /** Checks every part is present. */
  public InputFile {
    java.util.Objects.requireNonNull(role, "role");
    java.util.Objects.requireNonNull(path, "path");
    java.util.Objects.requireNonNull(sha256, "sha256");
  }
}
