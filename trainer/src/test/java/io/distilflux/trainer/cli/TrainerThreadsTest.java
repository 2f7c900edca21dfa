package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

class TrainerThreadsTest {

  /**
   * Each run in flight holds a thread for its training loop, and another while it is assembled
   * (which may wait for a compute permit). With fewer threads than such tasks, a run's loop was
   * queued behind another run's and started only when that run ended.
   */
  @Test
  void everyRunInFlightTrainsWhileTheOthersAreStillBeingAssembled() throws Exception {
    int parallel = 3;
    Scheduler threads = ExperimentRunner.trainerThreads(parallel);
    CountDownLatch started = new CountDownLatch(2 * parallel);
    CountDownLatch release = new CountDownLatch(1);
    try {
      for (int i = 0; i < 2 * parallel; i++) { // the loops of the runs, and their assemblies
        Mono.fromRunnable(() -> {
          started.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }).subscribeOn(threads).subscribe();
      }
      assertTrue(started.await(30, TimeUnit.SECONDS),
          started.getCount() + " of " + 2 * parallel + " tasks waited behind a busy thread");
    } finally {
      release.countDown();
      threads.dispose();
    }
  }
}
