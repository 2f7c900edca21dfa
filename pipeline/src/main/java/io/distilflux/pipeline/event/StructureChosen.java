package io.distilflux.pipeline.event;

import java.util.List;

/**
 * A run decided its student's structure: from the next mini-epoch on it trains the discrete
 * student of these hidden layers (docs/structure.md §7). Published on the {@code structure}
 * topic. Every field is bounded and checked, so a record from the wire cannot make a consumer
 * keep more than a few numbers; a record that fails a check is malformed and dead-lettered.
 *
 * @param schemaVersion schema version written
 * @param runId run id (record key)
 * @param step the last step trained before the switch
 * @param hiddenSizes the discrete student's hidden layer widths, input side first: 1 to
 *     {@link #MAX_LAYERS} entries, each in 1..{@link #MAX_UNITS}
 * @param structureLogits the structure logits log α the choice was the argmax of, flat over the
 *     edges; at most {@link ExtraParameter#MAX_STRUCTURE_LOGITS}, finite; empty when not known
 */
public record StructureChosen(
    int schemaVersion, String runId, long step, List<Integer> hiddenSizes,
    List<Double> structureLogits)
    implements Event {

  /** Most hidden layers a chosen student may have. */
  public static final int MAX_LAYERS = 8;
  /** Most units a chosen hidden layer may have. */
  public static final int MAX_UNITS = 65_536;

  /** Checks the bounds and copies the lists. */
  public StructureChosen {
    if (step < 0) {
      throw new IllegalArgumentException("StructureChosen.step must be >= 0, got " + step);
    }
    if (hiddenSizes == null || hiddenSizes.isEmpty() || hiddenSizes.size() > MAX_LAYERS) {
      throw new IllegalArgumentException("StructureChosen.hiddenSizes must hold 1 to "
          + MAX_LAYERS + " widths");
    }
    for (Integer units : hiddenSizes) {
      if (units == null || units < 1 || units > MAX_UNITS) {
        throw new IllegalArgumentException("StructureChosen.hiddenSizes: each width must be in 1.."
            + MAX_UNITS + ", got " + units);
      }
    }
    hiddenSizes = List.copyOf(hiddenSizes);
    structureLogits = structureLogits == null ? List.of() : structureLogits;
    if (structureLogits.size() > ExtraParameter.MAX_STRUCTURE_LOGITS) {
      throw new IllegalArgumentException("StructureChosen.structureLogits holds "
          + structureLogits.size() + " values, at most " + ExtraParameter.MAX_STRUCTURE_LOGITS);
    }
    for (Double logit : structureLogits) {
      if (logit == null || !Double.isFinite(logit)) {
        throw new IllegalArgumentException("StructureChosen.structureLogits must be finite");
      }
    }
    structureLogits = List.copyOf(structureLogits);
  }
}
