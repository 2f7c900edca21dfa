package io.distilflux.trainer.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a service command running until the JVM is asked to stop (Ctrl-C, SIGTERM), then lets
 * the command close its resources before the JVM exits: the shutdown hook waits for that.
 */
final class UntilStopped {

  private static final long CLOSE_GRACE_SECONDS = 30;

  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);

  UntilStopped(String name) {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopRequested.countDown();
      try {
        closed.await(CLOSE_GRACE_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, name + "-shutdown"));
  }

  /** Blocks until a stop is requested. */
  void await() throws InterruptedException {
    stopRequested.await();
  }

  /** Called once the command has closed its resources. */
  void closed() {
    closed.countDown();
  }
}
