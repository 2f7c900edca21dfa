package io.distilflux.trainer.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The results files of an output folder, shared by every invocation that writes into it:
 * {@code results.csv} keeps the rows of earlier invocations and gains this invocation's, each
 * row ending with the id of the invocation that wrote it; {@code results.json} holds the latest
 * invocation and {@code results-<invocation>.json} each invocation's own. Writing again within
 * one invocation (after every finished run) replaces only that invocation's rows.
 */
final class ResultsFiles {

  /** The last column of {@code results.csv}. */
  static final String INVOCATION_COLUMN = "invocation";

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  private final Path dir;
  private final String invocation;

  /**
   * @param dir the output folder
   * @param invocation this invocation's id ({@link #newInvocation})
   */
  ResultsFiles(Path dir, String invocation) {
    this.dir = dir;
    this.invocation = invocation;
  }

  /** An invocation id: the UTC start time and a random suffix, e.g. {@code 20261204T170312Z-3f9a}. */
  static String newInvocation(Clock clock) {
    return STAMP.format(clock.instant())
        + String.format(Locale.ROOT, "-%04x", ThreadLocalRandom.current().nextInt(0x10000));
  }

  /** This invocation's id. */
  String invocation() {
    return invocation;
  }

  /**
   * Writes this invocation's rows and JSON, keeping what earlier invocations wrote.
   *
   * @return how many rows of earlier invocations {@code results.csv} keeps
   */
  int write(ResultsTable table) {
    try {
      Files.createDirectories(dir);
      Path csv = dir.resolve("results.csv");
      List<String> lines = new ArrayList<>();
      lines.add(ResultsTable.CSV_HEADER + "," + INVOCATION_COLUMN);
      List<String> earlier = earlierRows(csv);
      lines.addAll(earlier);
      for (String row : table.csvRows()) {
        lines.add(row + "," + invocation);
      }
      writeAtomically(csv, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
      byte[] json = table.json(invocation);
      writeAtomically(dir.resolve("results-" + invocation + ".json"), json);
      writeAtomically(dir.resolve("results.json"), json);
      return earlier.size();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write results to " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The rows of {@code results.csv} written by other invocations; rows of a file from before
   * the invocation column get an empty one.
   */
  private List<String> earlierRows(Path csv) throws IOException {
    if (!Files.isRegularFile(csv)) {
      return List.of();
    }
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    if (lines.isEmpty()) {
      return List.of();
    }
    boolean withInvocation = lines.get(0).endsWith("," + INVOCATION_COLUMN);
    List<String> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        continue;
      }
      if (!withInvocation) {
        rows.add(line + ",");
      } else if (!line.substring(line.lastIndexOf(',') + 1).equals(invocation)) {
        rows.add(line);
      }
    }
    return rows;
  }

  /** Write then rename: the results of finished runs are never replaced by a half-written file. */
  private static void writeAtomically(Path file, byte[] content) throws IOException {
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(temporary, content);
    Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }
}
