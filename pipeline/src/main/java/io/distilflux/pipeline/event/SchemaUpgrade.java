package io.distilflux.pipeline.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads older records as this build's: fills the fields a newer schema version added with the
 * values that reproduce the old behaviour. Only fields absent from the record are filled, so a
 * record of an old version stays strict about everything it did carry.
 */
public final class SchemaUpgrade {

  /** The events that carry an {@code extra} map since version 4. */
  private static final java.util.Set<String> EXTRA_CARRIERS =
      java.util.Set.of("TrainingStep", "HyperGradient", "MetaParams", "TrajectoryForecast");

  private SchemaUpgrade() {}

  /**
   * Brings the JSON tree of an event written with {@code schemaVersion} &lt; {@link
   * Event#CURRENT_SCHEMA_VERSION} up to date in place; other trees are left as they are.
   */
  public static void event(JsonNode tree) {
    if (!(tree instanceof ObjectNode event) || !tree.path("schemaVersion").isInt()
        || tree.get("schemaVersion").intValue() >= Event.CURRENT_SCHEMA_VERSION) {
      return;
    }
    String type = tree.path("type").asText("");
    if (type.equals("RunStarted") && event.get("config") instanceof ObjectNode config) {
      runConfig(config);
    } else if (type.equals("HyperGradient") && !event.has("validationGradientNormSquared")) {
      event.put("validationGradientNormSquared", Double.NaN);
    }
    if (EXTRA_CARRIERS.contains(type) && !event.has("extra")) {
      event.putObject("extra");
    }
  }

  /**
   * A {@link RunConfig} tree written before version 4 (an event's, or a checkpoint manifest's):
   * before version 2 no data seed and the forward divergence; before version 3 no user files
   * and the exact derivative of the virtual step; before version 4 no extra meta-parameters.
   */
  public static void runConfig(ObjectNode config) {
    if (!config.has("dataSeed")) {
      config.putNull("dataSeed");
    }
    if (!config.has("divergence")) {
      config.put("divergence", RunConfig.Divergence.FORWARD.name());
    }
    if (!config.has("inputs")) {
      config.putArray("inputs");
    }
    if (!config.has("unrolledDerivative")) {
      config.put("unrolledDerivative", RunConfig.UnrolledDerivative.EXACT.name());
    }
    if (!config.has("extraMeta")) {
      config.putObject("extraMeta");
    }
  }
}
