package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WarmUpTest {

  @Test
  void aFixedWarmUpRunsExactlyItsPairsWhateverTheJitDoes() {
    WarmUp warmUp = WarmUp.fixed(2);
    assertTrue(warmUp.another(0, 0));
    assertTrue(warmUp.another(1, 0));
    assertFalse(warmUp.another(2, 30.0));
    assertFalse(WarmUp.fixed(0).another(0, 0));
  }

  @Test
  void withAJitLimitTheWarmUpGoesOnWhileAPairStillCompilesMore() {
    WarmUp warmUp = new WarmUp(2, 1.5, 30);
    assertTrue(warmUp.another(1, 0.1), "the fixed pairs run first");
    assertTrue(warmUp.another(2, 4.9));
    assertTrue(warmUp.another(7, 1.6));
    assertFalse(warmUp.another(8, 1.5), "at the limit the process counts as warm");
    assertFalse(warmUp.another(8, 0.3));
  }

  @Test
  void withAJitLimitAtLeastOnePairIsMeasuredBeforeCounting() {
    assertTrue(new WarmUp(0, 1.0, 30).another(0, 0));
    assertFalse(new WarmUp(0, 1.0, 30).another(1, 0.2));
  }

  @Test
  void theMaximumEndsAWarmUpWhoseJitNeverQuietens() {
    WarmUp warmUp = new WarmUp(1, 1.0, 4);
    assertTrue(warmUp.another(3, 9.0));
    assertFalse(warmUp.another(4, 9.0));
  }

  @Test
  void theMaximumCannotBeBelowTheFixedPairs() {
    assertThrows(IllegalArgumentException.class, () -> new WarmUp(5, 1.0, 4));
    assertThrows(IllegalArgumentException.class, () -> new WarmUp(-1, 1.0, 4));
  }
}
