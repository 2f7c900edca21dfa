package io.distilflux.trainer.speed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class PartitionsTest {

  @Test
  void everyPartitionRunsExactlyOncePerPhaseWhateverTheThreads() {
    for (int threads = 1; threads <= 3; threads++) {
      Partitions partitions = new Partitions(5, threads);
      for (int phase = 0; phase < 200; phase++) {
        AtomicIntegerArray runs = new AtomicIntegerArray(5);
        partitions.run(runs::incrementAndGet);
        int[] counts = new int[5];
        for (int part = 0; part < 5; part++) {
          counts[part] = runs.get(part);
        }
        assertArrayEquals(new int[] {1, 1, 1, 1, 1}, counts, "threads " + threads);
      }
    }
  }

  @Test
  void partitionZeroAlwaysRunsOnTheCallingThread() {
    Partitions partitions = new Partitions(4, 2);
    var threadOfPart = new ConcurrentHashMap<Integer, Thread>();
    for (int phase = 0; phase < 50; phase++) {
      partitions.run(part -> threadOfPart.put(part, Thread.currentThread()));
      assertSame(Thread.currentThread(), threadOfPart.get(0));
    }
  }

  @Test
  void aFailureInAHelperReachesTheCaller() {
    Partitions partitions = new Partitions(2, 2);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> partitions.run(part -> {
          if (part == 1) {
            throw new IllegalStateException("part 1 failed");
          }
        }));
    assertEquals("part 1 failed", e.getMessage());
    AtomicIntegerArray runs = new AtomicIntegerArray(2);
    partitions.run(runs::incrementAndGet);
    assertEquals(1, runs.get(1), "the helper keeps working after a failed phase");
  }

  @Test
  void idleHelpersEndAndTheNextPhaseStartsThemAgain() throws InterruptedException {
    Partitions partitions = new Partitions(2, 2, Duration.ofMillis(20));
    AtomicIntegerArray runs = new AtomicIntegerArray(2);
    partitions.run(runs::incrementAndGet);
    assertEquals(1, partitions.liveHelpers());
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (partitions.liveHelpers() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(0, partitions.liveHelpers(), "an idle helper ends");
    partitions.run(runs::incrementAndGet);
    assertEquals(2, runs.get(0));
    assertEquals(2, runs.get(1));
    assertTrue(partitions.liveHelpers() <= 1);
  }

  @Test
  void moreThreadsThanPartsIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Partitions(2, 3));
    assertThrows(IllegalArgumentException.class, () -> new Partitions(0, 1));
  }
}
