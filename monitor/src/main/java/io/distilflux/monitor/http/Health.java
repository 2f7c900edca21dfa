package io.distilflux.monitor.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.distilflux.pipeline.EventCodec;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answer of {@code GET /health}.
 *
 * @param up whether the service works; {@code /health} answers 200 when up, else 503
 * @param details further fields of the JSON body, in order
 */
public record Health(boolean up, Map<String, Object> details) {

  /** Copies the details. */
  public Health {
    details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
  }

  /** The body: {@code {"status":"UP"|"DOWN", ...details}}. */
  public String toJson() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", up ? "UP" : "DOWN");
    body.putAll(details);
    try {
      return EventCodec.mapper().writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot write the health body", e);
    }
  }
}
