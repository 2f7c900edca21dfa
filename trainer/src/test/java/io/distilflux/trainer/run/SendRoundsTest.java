package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SendRoundsTest {

  /** Long enough that a test only passes when the round is released by the runs, not by time. */
  private static final Duration NEVER = Duration.ofMinutes(5);

  @Test
  void aReadyRunWaitsUntilEveryMemberIsReadyThenAllGoTogether() throws Exception {
    AtomicInteger ended = new AtomicInteger();
    SendRounds rounds = new SendRounds(NEVER, ended::incrementAndGet);
    rounds.stepStarts("a", true);
    rounds.stepStarts("b", true);
    CountDownLatch released = new CountDownLatch(1);
    Thread a = waitingThread(rounds, "a", released);
    assertFalse(released.await(100, TimeUnit.MILLISECONDS), "a waits while b computes");
    rounds.ready("b");
    assertTrue(released.await(10, TimeUnit.SECONDS), "b's readiness releases a");
    a.join();
    assertEquals(1, rounds.rounds());
    rounds.sent("a");
    assertEquals(0, ended.get(), "the round is not over while b has not sent");
    rounds.sent("b");
    assertEquals(1, ended.get(), "the last send of the round ends it");
  }

  @Test
  void aMemberThatLeavesOrStopsSendingReleasesTheOthers() throws Exception {
    SendRounds rounds = new SendRounds(NEVER, () -> {});
    rounds.stepStarts("a", true);
    rounds.stepStarts("b", true);
    rounds.stepStarts("c", true);
    CountDownLatch released = new CountDownLatch(1);
    Thread a = waitingThread(rounds, "a", released);
    rounds.stepStarts("b", false); // b enters a forecast window
    assertFalse(released.await(100, TimeUnit.MILLISECONDS), "c is still computing");
    rounds.leave("c"); // c finishes
    assertTrue(released.await(10, TimeUnit.SECONDS));
    a.join();
  }

  @Test
  void aRunWaitsNoLongerThanTheLongestWait() throws Exception {
    SendRounds rounds = new SendRounds(Duration.ofMillis(20), () -> {});
    rounds.stepStarts("a", true);
    rounds.stepStarts("stalled", true);
    CountDownLatch released = new CountDownLatch(1);
    Thread a = waitingThread(rounds, "a", released);
    assertTrue(released.await(10, TimeUnit.SECONDS), "a goes on without the stalled run");
    a.join();
    assertEquals(1, rounds.rounds());
  }

  @Test
  void aSendOutsideAnyRoundEndsItsOwnRound() {
    AtomicInteger ended = new AtomicInteger();
    SendRounds rounds = new SendRounds(NEVER, ended::incrementAndGet);
    rounds.sent("alone");
    assertEquals(1, ended.get());
  }

  @Test
  void aRunThatLeavesBeforeSendingDoesNotHoldItsRoundOpen() throws Exception {
    AtomicInteger ended = new AtomicInteger();
    SendRounds rounds = new SendRounds(NEVER, ended::incrementAndGet);
    rounds.stepStarts("a", true);
    rounds.ready("a"); // alone: released at once
    rounds.leave("a"); // stopped before its send
    assertEquals(1, ended.get());
  }

  @Test
  void aNegativeWaitIsRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> new SendRounds(Duration.ofMillis(-1), () -> {}));
  }

  private static Thread waitingThread(SendRounds rounds, String runId, CountDownLatch released) {
    Thread thread = new Thread(() -> {
      try {
        rounds.ready(runId);
        released.countDown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    thread.start();
    return thread;
  }
}
