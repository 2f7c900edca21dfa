package io.distilflux.pipeline.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The extra meta-parameters: λ_c's range map and the structure logits' identity map. */
class ExtraParameterTest {

  @Test
  void structureLogitsAreTheirOwnCoordinatesAndBounded() {
    for (int i = 0; i < ExtraParameter.MAX_STRUCTURE_LOGITS; i++) {
      ExtraParameter logit = ExtraParameter.structureLogit(i);
      assertEquals("logAlpha" + i, logit.jsonName());
      assertTrue(logit.isStructureLogit());
      assertEquals(-2.5, logit.value(-2.5), 0.0);
      assertEquals(1.0, logit.derivative(7), 0.0);
      assertEquals(3.25, logit.coordinate(3.25), 0.0);
      assertEquals(logit, ExtraParameter.require("logAlpha" + i));
    }
    assertFalse(ExtraParameter.COMPLEXITY.isStructureLogit());
    IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class,
        () -> ExtraParameter.structureLogit(ExtraParameter.MAX_STRUCTURE_LOGITS));
    assertTrue(beyond.getMessage().contains("at most 6"), beyond.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ExtraParameter.LOG_ALPHA_0.coordinate(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> ExtraParameter.require("logAlpha6"));
  }

  @Test
  void everyStructureLogitAndLambdaCFitInOneExtraMap() {
    Map<String, Double> extra = new HashMap<>();
    extra.put(ExtraParameter.COMPLEXITY.jsonName(), 0.0);
    for (int i = 0; i < ExtraParameter.MAX_STRUCTURE_LOGITS; i++) {
      extra.put(ExtraParameter.structureLogit(i).jsonName(), (double) i);
    }
    assertEquals(extra, Extras.copy(extra, "extra"));
  }
}
