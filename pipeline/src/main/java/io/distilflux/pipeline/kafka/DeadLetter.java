package io.distilflux.pipeline.kafka;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import io.distilflux.pipeline.EventCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A record that was rejected: it could not be read as an event of its topic, or it did not fit
 * the state of the service that read it. It is written to the dead-letter topic as the JSON
 * object {@code {"topic","partition","offset","key","reason","payloadBase64","payloadBytes",
 * "payloadSha256","truncated"}} with the original key as record key.
 *
 * <p>A letter always fits in one request of the default limits (1 MiB): payloads above
 * {@link #MAX_KEPT_PAYLOAD} bytes are cut to their first {@code MAX_KEPT_PAYLOAD} bytes, keys
 * and reasons to {@link #MAX_TEXT} characters; the original size and the SHA-256 of the whole
 * payload are always kept.
 *
 * @param topic topic the record was read from
 * @param partition its partition
 * @param offset its offset
 * @param key its key as UTF-8 text (null when it had none), cut to {@link #MAX_TEXT} characters
 * @param reason why it was rejected, one line
 * @param payloadBase64 the record's value, or its first {@link #MAX_KEPT_PAYLOAD} bytes, base64
 *     encoded (null when it had none)
 * @param payloadBytes size of the whole value in bytes (0 when it had none)
 * @param payloadSha256 SHA-256 of the whole value, lower-case hex (null when it had none)
 * @param truncated whether {@code payloadBase64} holds only the start of the value
 */
public record DeadLetter(
    String topic,
    int partition,
    long offset,
    String key,
    String reason,
    String payloadBase64,
    long payloadBytes,
    String payloadSha256,
    boolean truncated) {

  // Letters written before the size and hash were kept have none: read them as 0 and null.
  private static final ObjectReader READER = EventCodec.mapper().readerFor(DeadLetter.class)
      .without(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
      .without(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  /** Largest payload a letter keeps whole: its base64 form stays well under 1 MiB. */
  public static final int MAX_KEPT_PAYLOAD = 512 * 1024;
  /** Longest key and reason a letter keeps. */
  public static final int MAX_TEXT = 1024;

  /** A dead letter for raw record bytes, the payload cut when it would not fit. */
  public static DeadLetter of(
      String topic, int partition, long offset, String key, String reason, byte[] payload) {
    String cutReason = cut(reason == null ? "rejected" : reason.lines().findFirst().orElse(""));
    if (payload == null) {
      return new DeadLetter(topic, partition, offset, cut(key), cutReason, null, 0, null, false);
    }
    boolean truncated = payload.length > MAX_KEPT_PAYLOAD;
    byte[] kept = truncated ? Arrays.copyOf(payload, MAX_KEPT_PAYLOAD) : payload;
    return new DeadLetter(topic, partition, offset, cut(key), cutReason,
        Base64.getEncoder().encodeToString(kept), payload.length, sha256(payload), truncated);
  }

  /** Cuts a key or reason to {@link #MAX_TEXT} characters. */
  static String cut(String text) {
    return text == null || text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT);
  }

  /** The lower-case hex SHA-256 of the bytes. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The record's value as kept: whole, or its start when {@link #truncated()}. */
  @JsonIgnore
  public byte[] payload() {
    return payloadBase64 == null ? null : Base64.getDecoder().decode(payloadBase64);
  }

  /** The JSON written to the dead-letter topic. */
  public byte[] toJson() {
    try {
      return EventCodec.mapper().writeValueAsBytes(this);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot encode dead letter", e);
    }
  }

  /** Reads a dead-letter record's value; letters of earlier versions lack the size fields. */
  public static DeadLetter fromJson(byte[] json) {
    try {
      return READER.readValue(json);
    } catch (IOException e) {
      throw new UncheckedIOException("not a dead letter: " + e.getMessage(), e);
    }
  }
}
