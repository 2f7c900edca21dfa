package io.distilflux.trainer.speed;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Runs partition 0 … parts − 1 of a phase of {@link PlanarConvStack} on up to {@code threads}
 * threads: the caller, which always takes partition 0 (so that a profile's clock sees one
 * partition's work), and {@code threads − 1} helper daemon threads; the other partitions go to
 * whichever thread is free next, so a thread the OS preempts on busy cores takes fewer of them
 * instead of stalling the phase. The partition count fixes the numerics (how sums are split and
 * reduced, always in partition order); the threads only how fast, so a run gives the same numbers
 * on any machine.
 *
 * <p>A phase takes tens of microseconds to a few milliseconds, so a waiting thread stays awake
 * for up to {@link #AWAKE_NANOS} before it parks: it spins a few hundred times, then yields its
 * core at each check, so that any other runnable thread of the process (the broker, the
 * clients, the JIT compiler) runs in the gap instead of queueing behind a spin; with nothing
 * else runnable a yield returns at once. A helper left idle for {@link #DEFAULT_IDLE_EXIT}
 * ends; the next phase starts it again. Nothing needs closing. Not thread-safe: one caller at
 * a time.
 */
final class Partitions {

  /** Checks that only spin, before a waiting thread starts to yield its core. */
  private static final int SPINS = 200;
  /** How long a waiting thread stays awake (spinning, then yielding) before it parks. */
  private static final long AWAKE_NANOS = 500_000;
  /** How long a helper stays parked without work before its thread ends. */
  static final Duration DEFAULT_IDLE_EXIT = Duration.ofSeconds(2);

  private final int parts;
  private final int threads;
  private final long idleExitNanos;
  private final Object lifecycle = new Object();
  /** Whether helper k − 1's thread is running; guarded by {@link #lifecycle}. */
  private final boolean[] alive;
  private final Thread[] helpers;
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicInteger nextPart = new AtomicInteger();
  private volatile IntConsumer task;
  /** Incremented under {@link #lifecycle} once per phase; helpers run a phase per increment. */
  private volatile long generation;
  private volatile Thread caller;
  private volatile RuntimeException failure;

  /** One partition on the calling thread. */
  Partitions(int parts) {
    this(parts, parts);
  }

  Partitions(int parts, int threads) {
    this(parts, threads, DEFAULT_IDLE_EXIT);
  }

  Partitions(int parts, int threads, Duration idleExit) {
    if (parts < 1 || threads < 1 || threads > parts) {
      throw new IllegalArgumentException(
          "need 1 <= threads <= parts, got parts " + parts + ", threads " + threads);
    }
    this.parts = parts;
    this.threads = threads;
    this.idleExitNanos = idleExit.toNanos();
    this.alive = new boolean[threads - 1];
    this.helpers = new Thread[threads - 1];
  }

  int parts() {
    return parts;
  }

  int threads() {
    return threads;
  }

  /** Helper threads running now (parked or working); for tests of their lifecycle. */
  int liveHelpers() {
    synchronized (lifecycle) {
      int live = 0;
      for (boolean a : alive) {
        live += a ? 1 : 0;
      }
      return live;
    }
  }

  /** Runs {@code work} for every partition and returns when all are done. */
  void run(IntConsumer work) {
    if (threads == 1) {
      for (int part = 0; part < parts; part++) {
        work.accept(part);
      }
      return;
    }
    task = work;
    caller = Thread.currentThread();
    failure = null;
    pending.set(threads - 1);
    nextPart.set(1);
    synchronized (lifecycle) {
      long phase = ++generation;
      for (int k = 1; k < threads; k++) {
        if (!alive[k - 1]) {
          startHelper(k, phase - 1);
        }
      }
    }
    for (Thread t : helpers) {
      LockSupport.unpark(t);
    }
    RuntimeException own = null;
    try {
      work.accept(0);
      runWorker(work);
    } catch (RuntimeException e) {
      own = e;
    }
    int spins = 0;
    long waitingSince = System.nanoTime();
    while (pending.get() > 0) {
      if (!stayAwake(++spins, waitingSince)) {
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

  /**
   * One check of a wait: spins for the first {@link #SPINS} checks, then yields the core; false
   * once the wait has lasted {@link #AWAKE_NANOS}, when the thread should park.
   */
  private static boolean stayAwake(int spins, long waitingSince) {
    if (spins < SPINS) {
      Thread.onSpinWait();
      return true;
    }
    if (System.nanoTime() - waitingSince < AWAKE_NANOS) {
      Thread.yield();
      return true;
    }
    return false;
  }

  private void runWorker(IntConsumer work) {
    for (int part = nextPart.getAndIncrement(); part < parts; part = nextPart.getAndIncrement()) {
      work.accept(part);
    }
  }

  private void startHelper(int worker, long seen) {
    Thread t = new Thread(() -> helperLoop(worker, seen), "planar-conv-" + worker);
    t.setDaemon(true);
    helpers[worker - 1] = t;
    alive[worker - 1] = true;
    t.start();
  }

  private void helperLoop(int worker, long lastSeen) {
    long seen = lastSeen;
    while (true) {
      int spins = 0;
      long idleSince = System.nanoTime();
      while (generation == seen) {
        if (stayAwake(++spins, idleSince)) {
          continue;
        } else if (System.nanoTime() - idleSince < idleExitNanos) {
          LockSupport.parkNanos(this, idleExitNanos);
        } else {
          synchronized (lifecycle) {
            // a phase published under the lock after this check finds alive false and starts
            // a new helper; one published before it is seen here and run
            if (generation == seen) {
              alive[worker - 1] = false;
              return;
            }
          }
        }
      }
      seen = generation;
      try {
        runWorker(task);
      } catch (RuntimeException e) {
        failure = e;
      }
      if (pending.decrementAndGet() == 0) {
        LockSupport.unpark(caller);
      }
    }
  }
}
