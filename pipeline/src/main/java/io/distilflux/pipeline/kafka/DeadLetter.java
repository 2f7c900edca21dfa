package io.distilflux.pipeline.kafka;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.distilflux.pipeline.EventCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * A record that could not be read as an event of its topic. It is written to the dead-letter
 * topic as the JSON object {@code {"topic","partition","offset","key","reason","payloadBase64"}}
 * with the original key as record key.
 *
 * @param topic topic the record was read from
 * @param partition its partition
 * @param offset its offset
 * @param key its key as UTF-8 text (null when it had none)
 * @param reason why it was rejected, one line
 * @param payloadBase64 the record's value, base64 encoded (null when it had none)
 */
public record DeadLetter(
    String topic, int partition, long offset, String key, String reason, String payloadBase64) {

  /** A dead letter for raw record bytes. */
  public static DeadLetter of(
      String topic, int partition, long offset, String key, String reason, byte[] payload) {
    return new DeadLetter(
        topic, partition, offset, key, reason,
        payload == null ? null : Base64.getEncoder().encodeToString(payload));
  }

  /** The record's value as it was read. */
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

  /** Reads a dead-letter record's value. */
  public static DeadLetter fromJson(byte[] json) {
    try {
      return EventCodec.mapper().readValue(json, DeadLetter.class);
    } catch (IOException e) {
      throw new UncheckedIOException("not a dead letter: " + e.getMessage(), e);
    }
  }
}
