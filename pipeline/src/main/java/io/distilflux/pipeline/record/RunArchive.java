package io.distilflux.pipeline.record;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.MalformedEventException;
import io.distilflux.pipeline.event.Event;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A recorded run as a self-describing JSON Lines file: a header line, then one event per line in
 * the contract's JSON (the same bytes as on Kafka).
 *
 * <pre>
 * {"format":"distilflux-run","formatVersion":1,"runId":"…","eventCount":N,"exportedAt":"…"}
 * {"type":"RunStarted","runId":"…",…}
 * …
 * </pre>
 *
 * <p>The header's event count makes a truncated file detectable; every event must belong to the
 * header's run. Files are written to a temporary sibling and renamed, so a reader never sees a
 * half-written archive.
 */
public final class RunArchive {

  /** The header's {@code format} value. */
  public static final String FORMAT = "distilflux-run";

  /** The newest archive layout this build writes and reads. */
  public static final int FORMAT_VERSION = 1;

  private static final ObjectMapper MAPPER = EventCodec.mapper();

  private RunArchive() {}

  /** The first line of an archive. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Header(String format, int formatVersion, String runId, int eventCount, String exportedAt) {}

  /**
   * Checks that {@code file} can be written, before a long read: its folder is created when
   * missing, and must be a writable folder.
   *
   * @throws UncheckedIOException with a one-line reason naming the file when it cannot
   */
  public static void requireWritable(Path file) {
    Path parent = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(parent);
    } catch (FileAlreadyExistsException e) {
      throw new UncheckedIOException(
          "cannot write " + file + ": " + e.getFile() + " is not a folder", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + reason(e), e);
    }
    if (!Files.isWritable(parent)) {
      throw new UncheckedIOException("cannot write " + file + ": folder " + parent
          + " is not writable", new AccessDeniedException(parent.toString()));
    }
    if (Files.isDirectory(file)) {
      throw new UncheckedIOException("cannot write " + file + ": it is a folder",
          new FileAlreadyExistsException(file.toString()));
    }
  }

  /**
   * Writes the run to {@code file} (replacing it, creating its folder), atomically.
   *
   * @throws UncheckedIOException when the file cannot be written, with the path in the message
   */
  public static void write(Path file, RecordedRun run) {
    Path absolute = file.toAbsolutePath();
    Path temporary = absolute.resolveSibling(absolute.getFileName() + ".tmp");
    requireWritable(file);
    try (BufferedWriter out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
      Header header = new Header(FORMAT, FORMAT_VERSION, run.runId(), run.events().size(),
          Instant.now().toString());
      out.write(MAPPER.writeValueAsString(header));
      out.newLine();
      for (Event event : run.events()) {
        out.write(EventCodec.encodeToString(event));
        out.newLine();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + reason(e), e);
    }
    try {
      Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + reason(e), e);
    }
  }

  /**
   * Reads an archive.
   *
   * @throws ArchiveException with a one-line reason naming the file (and line) when it is
   *     missing, not an archive, of a newer layout, truncated, or holds a malformed or foreign
   *     event
   */
  public static RecordedRun read(Path file) {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String first = in.readLine();
      if (first == null) {
        throw new ArchiveException(file + ": empty file, not a distilflux run archive");
      }
      Header header = header(file, first);
      List<Event> events = new ArrayList<>(header.eventCount());
      String line;
      int lineNumber = 1;
      while ((line = in.readLine()) != null) {
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        Event event;
        try {
          event = EventCodec.decode(line.getBytes(StandardCharsets.UTF_8), Event.class);
        } catch (MalformedEventException e) {
          throw new ArchiveException(file + " line " + lineNumber + ": " + e.getMessage());
        }
        if (!event.runId().equals(header.runId())) {
          throw new ArchiveException(file + " line " + lineNumber + ": event of run "
              + event.runId() + " in the archive of run " + header.runId());
        }
        events.add(event);
      }
      if (events.size() != header.eventCount()) {
        throw new ArchiveException(file + ": truncated, " + events.size() + " of "
            + header.eventCount() + " events");
      }
      return new RecordedRun(header.runId(), events);
    } catch (NoSuchFileException e) {
      throw new ArchiveException(file + ": no such file");
    } catch (IOException e) {
      throw new ArchiveException(file + ": cannot read: " + reason(e));
    }
  }

  private static Header header(Path file, String line) {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(line);
    } catch (IOException e) {
      throw new ArchiveException(file + ": not a distilflux run archive (first line is not JSON)");
    }
    if (tree == null || !FORMAT.equals(tree.path("format").asText(null))) {
      throw new ArchiveException(file + ": not a distilflux run archive (no \"format\":\""
          + FORMAT + "\" header)");
    }
    int version = tree.path("formatVersion").asInt(-1);
    if (version < 1 || version > FORMAT_VERSION) {
      throw new ArchiveException(file + ": archive formatVersion " + version
          + " is not readable by this build (reads 1.." + FORMAT_VERSION + ")");
    }
    String runId = tree.path("runId").asText("");
    int count = tree.path("eventCount").asInt(-1);
    if (runId.isBlank() || count < 0) {
      throw new ArchiveException(file + ": archive header lacks runId or eventCount");
    }
    return new Header(FORMAT, version, runId, count, tree.path("exportedAt").asText(null));
  }

  /** One line: what went wrong, not only the path most file exceptions carry as message. */
  private static String reason(IOException e) {
    String kind;
    if (e instanceof AccessDeniedException) {
      kind = "permission denied";
    } else if (e instanceof NoSuchFileException) {
      kind = "no such file or folder";
    } else if (e instanceof NotDirectoryException) {
      kind = "not a folder";
    } else if (e instanceof FileSystemException fs && fs.getReason() != null) {
      kind = fs.getReason();
    } else {
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return message.lines().findFirst().orElse(message);
    }
    return e instanceof FileSystemException fs && fs.getFile() != null
        ? kind + " (" + fs.getFile() + ")" : kind;
  }

  /** A file that is not a readable run archive; the message is one line naming the file. */
  public static final class ArchiveException extends RuntimeException {

    /** Creates the exception with its one-line reason. */
    public ArchiveException(String reason) {
      super(reason);
    }
  }
}
