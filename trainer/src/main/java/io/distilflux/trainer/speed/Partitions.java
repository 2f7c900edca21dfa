package io.distilflux.trainer.speed;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Runs partition 0 … parts − 1 of a phase of {@link PlanarConvStack}: partition 0 on the calling
 * thread, the others on helper daemon threads. A phase takes tens to hundreds of microseconds,
 * so helpers spin briefly before they park. Helpers are never stopped (parked, they stay until the
 * JVM exits), so more than one part is for long-lived steps and benchmarks; with one part, the
 * default of training, everything runs on the caller and no thread is started.
 */
final class Partitions {

  private static final int SPINS = 20_000;

  private final int parts;
  private final Thread[] helpers;
  private final AtomicInteger pending = new AtomicInteger();
  private volatile IntConsumer task;
  private volatile long generation;
  private volatile Thread caller;
  private volatile RuntimeException failure;

  Partitions(int parts) {
    if (parts < 1) {
      throw new IllegalArgumentException("parts must be >= 1, got " + parts);
    }
    this.parts = parts;
    this.helpers = new Thread[parts - 1];
    for (int i = 1; i < parts; i++) {
      int part = i;
      Thread t = new Thread(() -> helperLoop(part), "planar-conv-" + part);
      t.setDaemon(true);
      helpers[i - 1] = t;
      t.start();
    }
  }

  int parts() {
    return parts;
  }

  /** Runs {@code work} for every partition and returns when all are done. */
  void run(IntConsumer work) {
    if (parts == 1) {
      work.accept(0);
      return;
    }
    task = work;
    caller = Thread.currentThread();
    failure = null;
    pending.set(parts - 1);
    generation++;
    for (Thread t : helpers) {
      LockSupport.unpark(t);
    }
    RuntimeException own = null;
    try {
      work.accept(0);
    } catch (RuntimeException e) {
      own = e;
    }
    int spins = 0;
    while (pending.get() > 0) {
      if (++spins < SPINS) {
        Thread.onSpinWait();
      } else {
        LockSupport.park(this);
      }
    }
    task = null;
    if (own != null) {
      throw own;
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void helperLoop(int part) {
    long seen = 0;
    while (true) {
      int spins = 0;
      while (generation == seen) {
        if (++spins < SPINS) {
          Thread.onSpinWait();
        } else {
          LockSupport.park(this);
        }
      }
      seen = generation;
      try {
        task.accept(part);
      } catch (RuntimeException e) {
        failure = e;
      }
      if (pending.decrementAndGet() == 0) {
        LockSupport.unpark(caller);
      }
    }
  }
}
