package io.distilflux.trainer.run;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
  /** Runs waiting on the bus, in the order they asked; guarded by {@link #lock}. */
  private final ArrayDeque<Waiter> urgentLine = new ArrayDeque<>();
  /** Runs that only compute, in the order they asked; guarded by {@link #lock}. */
  private final ArrayDeque<Waiter> computeLine = new ArrayDeque<>();
  /** Guarded by {@link #lock}. */
  private int free;
  /** Guarded by {@link #lock}. */
  private int urgentOpen;
  /** Permits held by leases that are not urgent; guarded by {@link #lock}. */
  private int computeOnlyHeld;
  /** Runs on the bus in line for a permit; written under {@link #lock}, read without it. */
  private volatile int urgentWaiting;
  private final AtomicInteger inUse = new AtomicInteger();
  private final AtomicLong grants = new AtomicLong();
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

  /** How many times a permit was taken so far: once per compute slice of a run. */
  public long grants() {
    return grants.get();
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

  /**
   * Takes a permit, or queues for one. A freed permit is handed to the first in line, so a run
   * that gives its permit back and asks again at once goes behind those already waiting: no run
   * waits for ever while others keep taking turns.
   */
  private void take(boolean urgent, boolean interruptibly) throws InterruptedException {
    lock.lock();
    try {
      if (free > 0
          && (urgent ? urgentLine.isEmpty() : computeLine.isEmpty() && computeOnlyMayTake())) {
        grant(urgent);
        return;
      }
      Waiter me = new Waiter(lock.newCondition());
      (urgent ? urgentLine : computeLine).addLast(me);
      urgentWaiting = urgentLine.size();
      try {
        while (!me.granted) {
          if (interruptibly) {
            me.turn.await();
          } else {
            me.turn.awaitUninterruptibly();
          }
        }
      } catch (InterruptedException e) {
        if (me.granted) {
          release(urgent); // handed over just now: pass it on
        } else {
          (urgent ? urgentLine : computeLine).remove(me);
          urgentWaiting = urgentLine.size();
        }
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  private void give(boolean urgent) {
    lock.lock();
    try {
      release(urgent);
    } finally {
      lock.unlock();
    }
  }

  /** Takes a permit for the caller or a waiter; the lock is held. */
  private void grant(boolean urgent) {
    grants.incrementAndGet();
    free--;
    if (!urgent) {
      computeOnlyHeld++;
    }
    peak.accumulateAndGet(inUse.incrementAndGet(), Math::max);
  }

  /** Gives a permit back and hands what is free to those in line; the lock is held. */
  private void release(boolean urgent) {
    inUse.decrementAndGet();
    free++;
    if (!urgent) {
      computeOnlyHeld--;
    }
    handOn();
  }

  /** Whether a run that only computes may take a free permit now; the lock is held. */
  private boolean computeOnlyMayTake() {
    return urgentLine.isEmpty() && (urgentOpen == 0 || computeOnlyHeld < permits - keptForBus);
  }

  /** Hands free permits to the first in line, runs on the bus first; the lock is held. */
  private void handOn() {
    while (free > 0) {
      Waiter next;
      boolean urgent;
      if (!urgentLine.isEmpty()) {
        next = urgentLine.pollFirst();
        urgentWaiting = urgentLine.size();
        urgent = true;
      } else if (!computeLine.isEmpty() && computeOnlyMayTake()) {
        next = computeLine.pollFirst();
        urgent = false;
      } else {
        return;
      }
      grant(urgent);
      next.granted = true;
      next.turn.signal();
    }
  }

  /**
   * How long a lease has held a permit and how long it has waited in line for one, in
   * nanoseconds.
   */
  public record Usage(long heldNanos, long queuedNanos) {}

  /** A run in line for a permit. */
  private static final class Waiter {
    final Condition turn;
    /** Set, under the lock, when a permit is handed to this waiter. */
    boolean granted;

    Waiter(Condition turn) {
      this.turn = turn;
    }
  }

  private void closeUrgent() {
    lock.lock();
    try {
      urgentOpen--;
      handOn(); // with no run on the bus left, the permits kept for it are everyone's again
    } finally {
      lock.unlock();
    }
  }

  /**
   * One run's hold on a permit: acquiring a held lease and releasing a free one do nothing. A
   * run closes its lease when it ends.
   */
  public final class Lease implements AutoCloseable {
    private static final long NOT_NOW = Long.MIN_VALUE;
    private final boolean urgent;
    private boolean held;
    private boolean closed;
    /** Guarded by this lease: read by whoever asks for its {@link #usage()}. */
    private long heldNanos;
    private long queuedNanos;
    private long heldSince = NOT_NOW;
    private long queuedSince = NOT_NOW;

    private Lease(boolean urgent) {
      this.urgent = urgent;
    }

    /** Waits for a permit unless this lease holds one. */
    public void acquire() throws InterruptedException {
      if (!held) {
        long asked = queueing();
        boolean granted = false;
        try {
          take(urgent, true);
          granted = true;
        } finally {
          queued(asked, granted);
        }
        held = true;
      }
    }

    /** As {@link #acquire()}, ignoring interrupts (the caller's interrupt status is kept). */
    public void acquireUninterruptibly() {
      if (!held) {
        long asked = queueing();
        boolean granted = false;
        try {
          take(urgent, false);
          granted = true;
        } catch (InterruptedException e) {
          throw new IllegalStateException("an uninterruptible wait was interrupted", e);
        } finally {
          queued(asked, granted);
        }
        held = true;
      }
    }

    /** Gives the permit back, if held. */
    public void release() {
      if (held) {
        held = false;
        synchronized (this) {
          heldNanos += System.nanoTime() - heldSince;
          heldSince = NOT_NOW;
        }
        give(urgent);
      }
    }

    /**
     * How long this lease has held a permit and waited in line for one so far, the current
     * hold or wait included; any thread may ask.
     */
    public synchronized Usage usage() {
      long now = System.nanoTime();
      return new Usage(heldNanos + (heldSince == NOT_NOW ? 0 : now - heldSince),
          queuedNanos + (queuedSince == NOT_NOW ? 0 : now - queuedSince));
    }

    private synchronized long queueing() {
      queuedSince = System.nanoTime();
      return queuedSince;
    }

    private synchronized void queued(long asked, boolean granted) {
      long now = System.nanoTime();
      queuedNanos += now - asked;
      queuedSince = NOT_NOW;
      if (granted) {
        heldSince = now;
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

    /**
     * Whether this lease should give its permit back before computing more: it is not urgent and
     * a run on the bus waits for a permit. A run that only computes may go on to its next step
     * under the permit it holds otherwise (see {@link StudentRun}): handing a permit to the next
     * in line after every short step costs two thread switches a step.
     */
    public boolean othersWaitFirst() {
      return !urgent && urgentWaiting > 0;
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
