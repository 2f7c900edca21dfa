package io.distilflux.pipeline;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.SchemaUpgrade;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * JSON encoding of {@link Event}s. Decoding is strict: a record that is not JSON, names another
 * event type than the topic carries, has a newer schema version than this build reads, or lacks
 * a field is rejected with a {@link MalformedEventException} whose message says why. A record
 * of an older schema version lacking only fields added since is read with the defaults of
 * {@link SchemaUpgrade}.
 */
public final class EventCodec {

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          // Every event is mostly doubles: the JDK's parse and toString of a double were the
          // largest part of a decode and an encode. Same values, same text.
          .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
          .build();
  private static final ObjectReader READER = MAPPER.readerFor(Event.class);
  private static final ObjectWriter WRITER = MAPPER.writerFor(Event.class);

  private EventCodec() {}

  /** The event as UTF-8 JSON. */
  public static byte[] encode(Event event) {
    try {
      return WRITER.writeValueAsBytes(event);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + event.getClass().getSimpleName(), e);
    }
  }

  /** The event as a JSON string. */
  public static String encodeToString(Event event) {
    return new String(encode(event), java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Reads an event of the given type.
   *
   * @throws MalformedEventException with a one-line reason when the bytes are not such an event
   */
  public static <E extends Event> E decode(byte[] bytes, Class<E> type) {
    if (bytes == null || bytes.length == 0) {
      throw new MalformedEventException("empty record");
    }
    // Fast path: one pass straight into the record. Only a record that fails it is parsed
    // again as a tree, to say precisely why it is malformed.
    Event event;
    try {
      event = READER.readValue(bytes);
    } catch (IOException e) {
      event = upgraded(bytes).orElseThrow(() -> new MalformedEventException(diagnose(bytes, e)));
    }
    if (event == null) {
      throw new MalformedEventException("not a JSON object");
    }
    if (event.schemaVersion() > Event.CURRENT_SCHEMA_VERSION || event.schemaVersion() < 1) {
      throw new MalformedEventException(unsupportedVersion(event.schemaVersion()));
    }
    if (!type.isInstance(event)) {
      throw new MalformedEventException(
          "expected " + type.getSimpleName() + " but got " + event.getClass().getSimpleName());
    }
    if (event.runId() == null || event.runId().isBlank()) {
      throw new MalformedEventException("missing runId");
    }
    return type.cast(event);
  }

  /**
   * A record of an older schema version that lacks only what later versions added, read with
   * {@link SchemaUpgrade}'s defaults; empty for anything else.
   */
  private static java.util.Optional<Event> upgraded(byte[] bytes) {
    try {
      JsonNode tree = MAPPER.readTree(bytes);
      if (tree == null || !tree.path("schemaVersion").isInt()
          || tree.get("schemaVersion").intValue() >= Event.CURRENT_SCHEMA_VERSION) {
        return java.util.Optional.empty();
      }
      SchemaUpgrade.event(tree);
      return java.util.Optional.ofNullable(READER.readValue(tree));
    } catch (IOException e) {
      return java.util.Optional.empty();
    }
  }

  private static String unsupportedVersion(int version) {
    return "unsupported schemaVersion " + version
        + " (this build reads 1.." + Event.CURRENT_SCHEMA_VERSION + ")";
  }

  /** Why bytes that failed to decode are not an event: the version first, then Jackson's word. */
  private static String diagnose(byte[] bytes, IOException failure) {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(bytes);
    } catch (IOException e) {
      return "not JSON: " + oneLine(e);
    }
    if (tree == null || !tree.isObject()) {
      return "not a JSON object";
    }
    JsonNode version = tree.get("schemaVersion");
    if (version == null || !version.isInt()) {
      return "missing or non-integer schemaVersion";
    }
    if (version.intValue() > Event.CURRENT_SCHEMA_VERSION || version.intValue() < 1) {
      return unsupportedVersion(version.intValue());
    }
    return oneLine(failure);
  }

  /** The shared mapper, configured for the event contract; for tools that write JSON files. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  private static String oneLine(Exception e) {
    String message = e instanceof JacksonException je ? je.getOriginalMessage() : e.getMessage();
    if (message == null) {
      message = e.getClass().getSimpleName();
    }
    return message.lines().findFirst().orElse("").trim();
  }
}
