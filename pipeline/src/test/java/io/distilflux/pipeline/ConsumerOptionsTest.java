package io.distilflux.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
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
        .since(Instant.ofEpochSecond(7))
        .forRun("run-1")
        .withBuffer(16)
        .batchedUpTo(Duration.ofMillis(200));
    assertEquals(new ConsumerOptions("r", true, Set.of("run-1"), 16, false,
        Duration.ofMillis(200), Instant.ofEpochSecond(7)), options);
    assertEquals(Set.of("a", "b"), options.forRuns(List.of("a", "b", "a")).runIds());
  }

  @Test
  void aReaderOfHistoryStartsAtTheEpochUnlessGivenATime() {
    assertEquals(Instant.EPOCH, ConsumerOptions.wholeHistory("r").since());
    assertEquals(Instant.EPOCH, ConsumerOptions.earliest("g").since());
  }

  @Test
  void aGroupThatCommitsCannotStartAtATime() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ConsumerOptions.earliest("g").since(Instant.ofEpochSecond(1)));
    assertEquals("a reader that commits resumes at its group's offsets", e.getMessage());
  }

  @Test
  void anEmptySetOfRunsIsRejectedRatherThanReadAsEveryRun() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConsumerOptions.earliest("g").forRuns(List.of()));
    assertEquals("runIds must not be empty: leave them out for every run", e.getMessage());
  }

  @Test
  void negativeBatchWaitIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConsumerOptions.earliest("g").batchedUpTo(Duration.ofMillis(-1)));
    assertEquals("batchWait must not be negative, got PT-0.001S", e.getMessage());
  }
}
