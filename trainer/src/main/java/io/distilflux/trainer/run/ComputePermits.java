package io.distilflux.trainer.run;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Bounds how many runs compute at once, however many are in flight. A run holds a permit while
 * it computes (assembles, trains a step, evaluates, hands its events to the bus) and gives it
 * back while it waits on the bus for its meta-parameters, so a run that waits for a broker round
 * trip holds no core, and many runs' round trips overlap while at most {@link #permits()} of
 * them compute.
 *
 * <p>Runs that wait on the bus every step ({@link Lease#urgent() urgent} leases) get a free
 * permit before runs that only compute: their round trips are the experiment's longest path, and
 * the compute-bound runs fill the cores while they wait. Within each kind permits go in the
 * order asked. Which run computes when changes the speed only: a run's numbers depend on its
 * own seed and meta-parameters, never on the order in which runs get a permit.
 *
 * <p>A round trip through a broker is work too: the broker's, the clients' and the services'
 * threads need a core to answer it. With {@link #keepingForTheBus} some permits are kept from
 * the runs that only compute while any urgent lease is open, so those threads are not queued
 * behind a full set of compute-bound runs on every hop of the longest path.
 */
public final class ComputePermits {

  private final int permits;
  /** Permits runs that only compute may not take while an urgent lease is open. */
  private final int keptForBus;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition urgentTurn = lock.newCondition();
  private final Condition normalTurn = lock.newCondition();
  /** Guarded by {@link #lock}. */
  private int free;
  /** Guarded by {@link #lock}. */
  private int urgentWaiting;
  /** Guarded by {@link #lock}. */
  private int urgentOpen;
  /** Permits held by leases that are not urgent; guarded by {@link #lock}. */
  private int computeOnlyHeld;
  private final AtomicInteger inUse = new AtomicInteger();
  private final AtomicInteger peak = new AtomicInteger();

  private ComputePermits(int permits, int keptForBus) {
    this.permits = permits;
    this.keptForBus = keptForBus;
    this.free = permits;
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
    return new ComputePermits(permits, 0);
  }

  /**
   * At most {@code permits} runs computing at once, of which at most {@code permits − kept} are
   * runs that only compute while a run that waits on the bus is open: the {@code kept} permits
   * leave cores to the broker and the services that answer the waiting runs. Urgent leases may
   * take every permit; with no urgent lease open, every permit is for everyone.
   *
   * @throws IllegalArgumentException when {@code permits} is below 1 or {@code kept} is not in
   *     [0, permits)
   */
  public static ComputePermits keepingForTheBus(int permits, int kept) {
    if (permits < 1 || kept < 0 || kept >= permits) {
      throw new IllegalArgumentException("compute permits must be >= 1 and the permits kept for"
          + " the bus in [0, permits), got " + permits + " and " + kept);
    }
    return new ComputePermits(permits, kept);
  }

  /** No bound: for a run trained alone, or callers that bound compute some other way. */
  public static ComputePermits unbounded() {
    return new ComputePermits(Integer.MAX_VALUE / 2, 0);
  }

  /** How many runs may compute at once. */
  public int permits() {
    return permits;
  }

  /** How many permits runs that only compute leave free while a run waits on the bus. */
  public int keptForBus() {
    return keptForBus;
  }

  /** The most permits held at once so far. */
  public int peakInUse() {
    return peak.get();
  }

  /** A holder of at most one permit for a run that only computes; one thread at a time. */
  public Lease lease() {
    return new Lease(false);
  }

  /**
   * A holder of at most one permit for a run that waits on the bus every step, served before
   * the others; one thread at a time.
   */
  public Lease urgentLease() {
    lock.lock();
    try {
      urgentOpen++;
    } finally {
      lock.unlock();
    }
    return new Lease(true);
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

  private void take(boolean urgent, boolean interruptibly) throws InterruptedException {
    lock.lock();
    try {
      if (urgent) {
        urgentWaiting++;
      }
      try {
        while (free == 0 || (!urgent && (urgentWaiting > 0
            || (urgentOpen > 0 && computeOnlyHeld >= permits - keptForBus)))) {
          Condition turn = urgent ? urgentTurn : normalTurn;
          if (interruptibly) {
            turn.await();
          } else {
            turn.awaitUninterruptibly();
          }
        }
      } finally {
        if (urgent) {
          urgentWaiting--;
        }
      }
      free--;
      if (!urgent) {
        computeOnlyHeld++;
      }
      if (free > 0) {
        // Several permits may have come back while this waiter was being woken.
        handOn();
      }
    } catch (InterruptedException e) {
      handOn(); // a signal this waiter consumed must not be lost to the others
      throw e;
    } finally {
      lock.unlock();
    }
    peak.accumulateAndGet(inUse.incrementAndGet(), Math::max);
  }

  private void give(boolean urgent) {
    inUse.decrementAndGet();
    lock.lock();
    try {
      free++;
      if (!urgent) {
        computeOnlyHeld--;
      }
      handOn();
    } finally {
      lock.unlock();
    }
  }

  /** Wakes the next waiter in line for a free permit; the lock is held. */
  private void handOn() {
    if (free == 0) {
      return;
    }
    if (urgentWaiting > 0) {
      urgentTurn.signal();
    } else if (urgentOpen == 0 || computeOnlyHeld < permits - keptForBus) {
      normalTurn.signal();
    }
  }

  private void closeUrgent() {
    lock.lock();
    try {
      urgentOpen--;
      if (urgentOpen == 0) {
        // the permits kept for the bus are everyone's again
        normalTurn.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * One run's hold on a permit: acquiring a held lease and releasing a free one do nothing. A
   * run closes its lease when it ends.
   */
  public final class Lease implements AutoCloseable {
    private final boolean urgent;
    private boolean held;
    private boolean closed;

    private Lease(boolean urgent) {
      this.urgent = urgent;
    }

    /** Waits for a permit unless this lease holds one. */
    public void acquire() throws InterruptedException {
      if (!held) {
        take(urgent, true);
        held = true;
      }
    }

    /** As {@link #acquire()}, ignoring interrupts (the caller's interrupt status is kept). */
    public void acquireUninterruptibly() {
      if (!held) {
        try {
          take(urgent, false);
        } catch (InterruptedException e) {
          throw new IllegalStateException("an uninterruptible wait was interrupted", e);
        }
        held = true;
      }
    }

    /** Gives the permit back, if held. */
    public void release() {
      if (held) {
        held = false;
        give(urgent);
      }
    }

    /**
     * Gives the permit back and ends the lease: a closed urgent lease no longer keeps permits
     * from the runs that only compute. Closing twice does nothing.
     */
    @Override
    public void close() {
      release();
      if (!closed) {
        closed = true;
        if (urgent) {
          closeUrgent();
        }
      }
    }

    /** Whether this lease holds a permit. */
    public boolean held() {
      return held;
    }

    /** Whether this lease is served before the others. */
    public boolean urgent() {
      return urgent;
    }
  }
}
