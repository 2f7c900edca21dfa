package io.distilflux.pipeline.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.distilflux.pipeline.EventCodec;
import org.junit.jupiter.api.Test;

class UnconstrainedJsonTest {

  @Test
  void hyperGradientWithUnconstrainedSurvivesStrictDecoding() {
    HyperGradient sent =
        new HyperGradient(
            Event.CURRENT_SCHEMA_VERSION, "r", 3, new Unconstrained(0.1, -0.2, 0.3),
            new Unconstrained(1, 2, 3), 0.5, 0.01);
    String json = EventCodec.encodeToString(sent);
    assertFalse(json.contains("finite"), json);
    assertEquals(sent, EventCodec.decode(EventCodec.encode(sent), HyperGradient.class));
  }

  @Test
  void nonFiniteCoordinatesRoundTrip() {
    HyperGradient sent =
        new HyperGradient(
            Event.CURRENT_SCHEMA_VERSION, "r", 0, new Unconstrained(0, 0, 0),
            new Unconstrained(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY),
            Double.NaN, 0.01);
    HyperGradient read = EventCodec.decode(EventCodec.encode(sent), HyperGradient.class);
    assertFalse(read.gradient().isFinite());
    assertEquals(sent.gradient(), read.gradient());
  }
}
