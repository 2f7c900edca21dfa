package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.StructureChosen;
import io.distilflux.trainer.complexity.Examples;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The switch from the supernet to the chosen discrete student at a mini-epoch boundary. */
class StructureSwitchTest {

  private final Examples train = TestExamples.clusters(600, 12, 6, 31);
  private final Examples validation = TestExamples.clusters(200, 12, 6, 32);
  private final Supernet net = new Supernet(12, new int[] {1, 16}, new boolean[] {false, true},
      8, 6);
  private final SupernetSearch.Settings settings = new SupernetSearch.Settings(1, 32, 1e-2, 5e-2,
      1.0, 0.1, 3);

  @Test
  void theStructureIsPublishedAtAMiniEpochBoundaryBeforeTheStudentTrains() {
    List<StructureChosen> published = new ArrayList<>();
    long[] studentStepsAtPublish = {-1};
    StructureSwitch[] holder = new StructureSwitch[1];
    holder[0] = new StructureSwitch(net, settings, 5, "run-1", event -> {
      published.add(event);
      studentStepsAtPublish[0] = holder[0].studentSteps();
    });
    StructureSwitch.Outcome outcome = holder[0].run(train, validation, 7,
        new MetaValues(0.5, 0.5, 2.0), 1e-2, 9);

    assertEquals(1, published.size());
    StructureChosen chosen = published.get(0);
    assertEquals(chosen, outcome.chosen());
    assertEquals(0, studentStepsAtPublish[0], "the event precedes the student's first step");
    // 600 / 32 → 19 scheduled steps, so the switch waits for step 20, the next multiple of 5
    assertEquals(20, outcome.search().steps());
    assertEquals(19, chosen.step());
    assertEquals(Arrays.stream(net.hiddenSizes(outcome.search().choice())).boxed().toList(),
        chosen.hiddenSizes());
    assertArrayEquals(outcome.search().logAlpha(),
        chosen.structureLogits().stream().mapToDouble(Double::doubleValue).toArray(), 0.0);
    assertEquals("run-1", chosen.runId());
    assertEquals(chosen, EventCodec.decode(EventCodec.encode(chosen), Event.class));

    assertEquals(7, holder[0].studentSteps());
    assertEquals(7, outcome.distillation().steps());
    double[] cut = net.discreteWeights(outcome.search().weights(), outcome.search().choice());
    assertEquals(cut.length, outcome.studentWeights().length);
    assertFalse(Arrays.equals(cut, outcome.studentWeights()), "the student trained after it");
    assertEquals(outcome.student().parameterCount(),
        net.discrete(outcome.search().choice()).parameterCount());
  }

  @Test
  void aSwitchNeedsAMiniEpochAndARun() {
    assertThrows(IllegalArgumentException.class,
        () -> new StructureSwitch(net, settings, 0, "r", e -> { }));
    assertThrows(IllegalArgumentException.class,
        () -> new StructureSwitch(net, settings, 5, " ", e -> { }));
  }
}
