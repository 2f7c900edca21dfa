package io.distilflux.trainer.run;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Bounds how many runs compute at once, however many are in flight. A run holds a permit while
 * it computes (assembles, trains a step, evaluates, hands its events to the bus) and gives it
 * back while it waits on the bus for its meta-parameters, so a run that waits for a broker round
 * trip holds no core, and many runs' round trips overlap while at most {@link #permits()} of
 * them compute. Permits go to the runs in the order they asked (a fair semaphore), so a run back
 * from its wait queues behind at most the runs that asked before it.
 *
 * <p>Which run computes when changes the speed only: a run's numbers depend on its own seed
 * and meta-parameters, never on the order in which runs get a permit.
 */
public final class ComputePermits {

  private final int permits;
  private final Semaphore semaphore;
  private final AtomicInteger inUse = new AtomicInteger();
  private final AtomicInteger peak = new AtomicInteger();

  private ComputePermits(int permits) {
    this.permits = permits;
    this.semaphore = new Semaphore(permits, true);
  }

  /**
   * At most {@code permits} runs computing at once.
   *
   * @throws IllegalArgumentException when {@code permits} is below 1
   */
  public static ComputePermits of(int permits) {
    if (permits < 1) {
      throw new IllegalArgumentException("compute permits must be >= 1, got " + permits);
    }
    return new ComputePermits(permits);
  }

  /** No bound: for a run trained alone, or callers that bound compute some other way. */
  public static ComputePermits unbounded() {
    return new ComputePermits(Integer.MAX_VALUE / 2);
  }

  /** How many runs may compute at once. */
  public int permits() {
    return permits;
  }

  /** The most permits held at once so far. */
  public int peakInUse() {
    return peak.get();
  }

  /** A holder of at most one permit, for one run; used by one thread at a time. */
  public Lease lease() {
    return new Lease();
  }

  /** Computes {@code work} under a permit of its own, waiting for one first. */
  public <T> T compute(Supplier<T> work) {
    Lease lease = lease();
    lease.acquireUninterruptibly();
    try {
      return work.get();
    } finally {
      lease.release();
    }
  }

  /** One run's hold on a permit: acquiring a held lease and releasing a free one do nothing. */
  public final class Lease {
    private boolean held;

    private Lease() {}

    /** Waits for a permit unless this lease holds one. */
    public void acquire() throws InterruptedException {
      if (!held) {
        semaphore.acquire();
        entered();
      }
    }

    /** As {@link #acquire()}, ignoring interrupts (the caller's interrupt status is kept). */
    public void acquireUninterruptibly() {
      if (!held) {
        semaphore.acquireUninterruptibly();
        entered();
      }
    }

    /** Gives the permit back, if held. */
    public void release() {
      if (held) {
        held = false;
        inUse.decrementAndGet();
        semaphore.release();
      }
    }

    /** Whether this lease holds a permit. */
    public boolean held() {
      return held;
    }

    private void entered() {
      held = true;
      peak.accumulateAndGet(inUse.incrementAndGet(), Math::max);
    }
  }
}
