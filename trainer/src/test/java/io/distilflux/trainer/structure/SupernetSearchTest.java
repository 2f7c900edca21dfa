package io.distilflux.trainer.structure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.distilflux.trainer.complexity.Examples;
import org.junit.jupiter.api.Test;

/** The bilevel search of a supernet's structure logits and weights. */
class SupernetSearchTest {

  private final Examples train = TestExamples.clusters(600, 12, 6, 21);
  private final Examples validation = TestExamples.clusters(200, 12, 6, 22);

  @Test
  void theSearchAvoidsAHiddenLayerTooNarrowForTheClasses() {
    // one hidden unit cannot separate six classes; sixteen can
    Supernet net = new Supernet(12, new int[] {1, 16}, new boolean[] {false, true}, 8, 6);
    SupernetSearch.Outcome outcome = new SupernetSearch(net, new SupernetSearch.Settings(4, 32,
        1e-2, 5e-2, 1.0, 0.1, 3)).run(train, validation);
    assertEquals(1, outcome.choice()[0], "chosen width block");
    assertEquals(5, outcome.history().size());
    assertEquals(4L * (600 / 32 + 1), outcome.steps());
    assertNotEquals(0.0, outcome.logAlpha()[1] - outcome.logAlpha()[0]);
  }

  @Test
  void theSameSeedGivesTheSameSearch() {
    Supernet net = new Supernet(12, new int[] {2, 4}, new boolean[] {false, true}, 4, 6);
    SupernetSearch.Settings settings = new SupernetSearch.Settings(1, 64, 1e-2, 5e-2, 1.0, 0.1,
        7);
    double[] first = new SupernetSearch(net, settings).run(train, validation).logAlpha();
    double[] second = new SupernetSearch(net, settings).run(train, validation).logAlpha();
    assertArrayEquals(first, second, 0.0);
  }
}
