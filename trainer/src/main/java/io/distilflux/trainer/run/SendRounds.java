package io.distilflux.trainer.run;

import java.util.HashSet;
import java.util.Set;

/**
 * Ends the rounds in which runs that wait on the bus send their hypergradients: the bus holds
 * the records of a round channel (see {@link io.distilflux.pipeline.EventBus#endRound}) until
 * every run in a hypergradient step has handed its own on, and then they leave together.
 *
 * <p>Why: many runs in flight otherwise drift into a few groups at different hops of the round
 * trip (trainer, broker, meta-optimizer, broker, trainer), each group costing the broker and
 * every client a request per hop. Held together, one request carries every run's record on each
 * hop, and the updates come back together, so the runs stay in step. No run waits for another:
 * each hands its hypergradient on as soon as it has it and goes on to wait for its update, and
 * the last of a round to send ends it. A run that is late to join keeps the others' records
 * held for a moment once (the bus sends them after its round linger at the latest); after that
 * the round goes on together. Only when records leave changes: each run still trains on exactly
 * the update of its own step, so the numbers are the same.
 *
 * <p>A run is a member while its current step sends a hypergradient ({@link #stepStarts}), and
 * leaves in other steps (a forecast window) and when it closes ({@link #leave}).
 */
public final class SendRounds {

  private final Runnable endRound;
  /** Guarded by {@code this}. */
  private final Set<String> members = new HashSet<>();
  /** Runs whose hypergradient the bus holds for the current round; guarded by {@code this}. */
  private final Set<String> sent = new HashSet<>();
  /** Counts the rounds ended; guarded by {@code this}. */
  private long rounds;

  /** @param endRound called when a round is complete (not under a lock) */
  public SendRounds(Runnable endRound) {
    this.endRound = endRound;
  }

  /** A run starts a step: a member of the rounds when the step sends a hypergradient. */
  public void stepStarts(String runId, boolean sendsHyperGradient) {
    boolean end = false;
    synchronized (this) {
      if (sendsHyperGradient) {
        members.add(runId);
      } else if (members.remove(runId)) {
        end = complete();
      }
    }
    if (end) {
      endRound.run();
    }
  }

  /** The run takes no further part (it finished or stopped); its round need not wait for it. */
  public void leave(String runId) {
    boolean end;
    synchronized (this) {
      members.remove(runId);
      end = complete();
    }
    if (end) {
      endRound.run();
    }
  }

  /**
   * The run has handed its hypergradient to the bus. Ends the round when every member has now
   * sent, or at once when the run sends outside any round.
   */
  public void sent(String runId) {
    boolean end;
    synchronized (this) {
      if (members.contains(runId)) {
        sent.add(runId);
        end = complete();
      } else {
        rounds++;
        end = true;
      }
    }
    if (end) {
      endRound.run();
    }
  }

  /** Rounds ended so far, for tests and benchmarks. */
  public synchronized long rounds() {
    return rounds;
  }

  /** Whether the current round is complete; if so, starts the next one. */
  private boolean complete() {
    if (sent.isEmpty() || !sent.containsAll(members)) {
      return false;
    }
    sent.clear();
    rounds++;
    return true;
  }
}
