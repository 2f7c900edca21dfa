package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SendRoundsTest {

  private final AtomicInteger ended = new AtomicInteger();
  private final SendRounds rounds = new SendRounds(ended::incrementAndGet);

  @Test
  void theRoundEndsWhenEveryMemberHasSent() {
    rounds.stepStarts("a", true);
    rounds.stepStarts("b", true);
    rounds.sent("a");
    assertEquals(0, ended.get(), "a's record is held while b computes");
    rounds.sent("b");
    assertEquals(1, ended.get(), "the last send of the round ends it");

    rounds.stepStarts("a", true);
    rounds.stepStarts("b", true);
    rounds.sent("b");
    rounds.sent("a");
    assertEquals(2, ended.get(), "the next round, in any order");
    assertEquals(2, rounds.rounds());
  }

  @Test
  void aRunThatSendsAgainBeforeTheOthersDoesNotEndTheRound() {
    rounds.stepStarts("a", true);
    rounds.stepStarts("b", true);
    rounds.sent("a");
    rounds.stepStarts("a", true); // a's update came early (the bus's linger sent its record)
    rounds.sent("a");
    assertEquals(0, ended.get());
    rounds.sent("b");
    assertEquals(1, ended.get());
  }

  @Test
  void aMemberThatLeavesEndsTheRoundTheOthersHaveSentIn() {
    rounds.stepStarts("a", true);
    rounds.stepStarts("b", true);
    rounds.stepStarts("c", true);
    rounds.sent("a");
    rounds.stepStarts("b", false); // b enters a forecast window
    assertEquals(0, ended.get(), "c is still computing");
    rounds.leave("c"); // c finishes
    assertEquals(1, ended.get());
  }

  @Test
  void aRunThatLeavesAfterItsSendEndsTheRound() {
    rounds.stepStarts("a", true);
    rounds.stepStarts("b", true);
    rounds.sent("a");
    rounds.leave("b"); // stopped before its send: a's record must not wait for it
    assertEquals(1, ended.get());
    rounds.sent("a");
    assertEquals(2, ended.get(), "alone now, each send is a round");
  }

  @Test
  void noRoundEndsWithNothingSent() {
    rounds.stepStarts("a", true);
    rounds.leave("a");
    assertEquals(0, ended.get());
  }

  @Test
  void aSendOutsideAnyRoundEndsItsOwnRound() {
    rounds.sent("alone");
    assertEquals(1, ended.get());
  }
}
