package io.distilflux.trainer.cli;

import io.distilflux.pipeline.event.InputFile;
import io.distilflux.pipeline.event.RunConfig.DatasetKind;
import io.distilflux.trainer.data.Checksums;
import io.distilflux.trainer.run.InputSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The user's files named by flags, checked and digested for the run's record. */
final class UserInputs {

  private UserInputs() {}

  /**
   * The data files of {@code dataset}: all three CSV files for csv, all six NumPy files for npy,
   * none otherwise.
   *
   * @param csv the CSV files by role
   * @param npy the NumPy files by role
   * @throws IllegalArgumentException naming the flag of a missing, unexpected or unreadable file
   */
  static List<InputFile> dataFiles(DatasetKind dataset, Map<String, Optional<Path>> csv,
      Map<String, Optional<Path>> npy) {
    List<InputFile> files = new ArrayList<>();
    List<String> wanted = switch (dataset) {
      case CSV -> List.of(InputSources.TRAIN, InputSources.VALIDATION, InputSources.TEST);
      case NPY -> InputSources.NPY_ROLES;
      default -> List.of();
    };
    Map<String, Optional<Path>> given = new java.util.HashMap<>(csv);
    given.putAll(npy);
    for (Map.Entry<String, Optional<Path>> flag : given.entrySet()) {
      if (flag.getValue().isPresent() && !wanted.contains(flag.getKey())) {
        throw new IllegalArgumentException("--" + flag.getKey() + " applies to --dataset "
            + (csv.containsKey(flag.getKey()) ? "csv" : "npy") + ", not "
            + dataset.name().toLowerCase(Locale.ROOT));
      }
    }
    for (String role : wanted) {
      Path path = given.get(role).orElseThrow(() -> new IllegalArgumentException("--dataset "
          + dataset.name().toLowerCase(Locale.ROOT) + " needs --" + role + " FILE"));
      files.add(file("--" + role, role, path));
    }
    return files;
  }

  /** Whether an architecture name is a teacher network file (.zip or .h5). */
  static boolean isModelFile(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".zip") || lower.endsWith(".h5");
  }

  /**
   * A file given by {@code flag}, as an absolute path with its SHA-256.
   *
   * @throws IllegalArgumentException when it is missing or unreadable
   */
  static InputFile file(String flag, String role, Path path) {
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException(flag + " file not found: " + path);
    }
    // absolute, so a resume or a replay from another folder finds the same file
    return new InputFile(role, path.toAbsolutePath().normalize().toString(),
        Checksums.hex(path, "SHA-256"));
  }
}
