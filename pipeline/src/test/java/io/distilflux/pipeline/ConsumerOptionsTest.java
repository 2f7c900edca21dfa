package io.distilflux.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConsumerOptionsTest {

  @Test
  void groupsCommitAndWholeHistoryReadersDoNot() {
    assertTrue(ConsumerOptions.earliest("g").commits());
    assertTrue(ConsumerOptions.latest("g").commits());
    ConsumerOptions reader = ConsumerOptions.wholeHistory("r");
    assertFalse(reader.commits());
    assertTrue(reader.fromEarliest());
    assertEquals(Duration.ZERO, reader.batchWait());
  }

  @Test
  void derivedOptionsKeepEverythingElse() {
    ConsumerOptions options = ConsumerOptions.wholeHistory("r")
        .forRun("run-1")
        .withBuffer(16)
        .batchedUpTo(Duration.ofMillis(200));
    assertEquals(new ConsumerOptions("r", true, Optional.of("run-1"), 16, false,
        Duration.ofMillis(200)), options);
  }

  @Test
  void negativeBatchWaitIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConsumerOptions.earliest("g").batchedUpTo(Duration.ofMillis(-1)));
    assertEquals("batchWait must not be negative, got PT-0.001S", e.getMessage());
  }
}
