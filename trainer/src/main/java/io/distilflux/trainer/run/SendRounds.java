package io.distilflux.trainer.run;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Brings the hypergradient sends of runs that wait on the bus into rounds: a run whose
 * hypergradient is ready waits until every run in a hypergradient step has its own ready too, or
 * until {@code maxWait} has passed, and then they all hand theirs on at once.
 *
 * <p>Why: many runs in flight otherwise drift into a few groups at different hops of the round
 * trip (trainer, broker, meta-optimizer, broker, trainer), each group costing the broker and
 * every client a request per hop. Held together, one request carries every run's record on each
 * hop. A run waits here at most about one round trip, once, to join the others; after that the
 * round goes on together. Only when sends happen changes: each run still trains on exactly the
 * update of its own step, so the numbers are the same.
 *
 * <p>A run is a member while its current step sends a hypergradient ({@link #stepStarts}), and
 * leaves in other steps (a forecast window) and when it closes. Once every run of a round has
 * handed its hypergradient to the bus ({@link #sent}), the round is ended ({@code endRound}, see
 * {@link io.distilflux.pipeline.EventBus#endRound()}), so that it leaves in one request.
 */
public final class SendRounds {

  private final long maxWaitNanos;
  private final Runnable endRound;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition released = lock.newCondition();
  /** Guarded by {@link #lock}. */
  private final Set<String> members = new HashSet<>();
  /** Guarded by {@link #lock}. */
  private final Set<String> ready = new HashSet<>();
  /** Runs released that have not handed their hypergradient on yet; guarded by {@link #lock}. */
  private final Set<String> unsent = new HashSet<>();
  /** Counts the rounds released; guarded by {@link #lock}. */
  private long round;

  /**
   * @param maxWait the longest a ready run waits for the others (about one round trip)
   * @param endRound called once the runs released together have all sent (not under a lock)
   */
  public SendRounds(Duration maxWait, Runnable endRound) {
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must not be negative, got " + maxWait);
    }
    this.maxWaitNanos = maxWait.toNanos();
    this.endRound = endRound;
  }

  /** A run starts a step: a member of the rounds when the step sends a hypergradient. */
  public void stepStarts(String runId, boolean sendsHyperGradient) {
    lock.lock();
    try {
      if (sendsHyperGradient) {
        members.add(runId);
      } else if (members.remove(runId)) {
        releaseIfAllReady();
      }
    } finally {
      lock.unlock();
    }
  }

  /** The run takes no further part (it finished or stopped). */
  public void leave(String runId) {
    boolean allSent;
    lock.lock();
    try {
      members.remove(runId);
      ready.remove(runId);
      allSent = unsent.remove(runId) && unsent.isEmpty();
      releaseIfAllReady();
    } finally {
      lock.unlock();
    }
    if (allSent) {
      endRound.run();
    }
  }

  /**
   * The run has handed its hypergradient to the bus. Ends the round when it was the last of its
   * round to do so, or when it was sent outside any round.
   */
  public void sent(String runId) {
    boolean end;
    lock.lock();
    try {
      end = !unsent.remove(runId) || unsent.isEmpty();
    } finally {
      lock.unlock();
    }
    if (end) {
      endRound.run();
    }
  }

  /**
   * The run's hypergradient is ready: returns when every member's is, or after the longest
   * wait.
   */
  public void ready(String runId) throws InterruptedException {
    lock.lock();
    try {
      members.add(runId);
      ready.add(runId);
      if (releaseIfAllReady()) {
        return;
      }
      long mine = round;
      long left = maxWaitNanos;
      while (round == mine) {
        if (left <= 0) {
          release();
          return;
        }
        left = released.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Rounds released so far, for tests and benchmarks. */
  public long rounds() {
    lock.lock();
    try {
      return round;
    } finally {
      lock.unlock();
    }
  }

  private boolean releaseIfAllReady() {
    if (!ready.isEmpty() && ready.containsAll(members)) {
      release();
      return true;
    }
    return false;
  }

  private void release() {
    unsent.addAll(ready);
    ready.clear();
    round++;
    released.signalAll();
  }
}
