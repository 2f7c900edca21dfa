package io.distilflux.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.distilflux.pipeline.event.TrainingStep;
import org.junit.jupiter.api.Test;

class ChannelTest {

  @Test
  void aChannelIsAwaitedUnlessSaidOtherwise() {
    assertEquals(Channel.Urgency.AWAITED, new Channel<>("t", TrainingStep.class).urgency());
  }

  @Test
  void stepsAndEvaluationsAreBackgroundTopicsAndTheMetaRoundTripGoesInRounds() {
    Topics topics = Topics.defaults();
    for (Channel<?> channel : topics.all()) {
      boolean background = channel.equals(topics.steps()) || channel.equals(topics.evaluations());
      boolean round =
          channel.equals(topics.hyperGradients()) || channel.equals(topics.metaParams());
      Channel.Urgency expected = background ? Channel.Urgency.BACKGROUND
          : round ? Channel.Urgency.ROUND : Channel.Urgency.AWAITED;
      assertEquals(expected, channel.urgency(), channel.topic());
    }
  }

  @Test
  void aChannelNeedsAnUrgency() {
    assertThrows(NullPointerException.class, () -> new Channel<>("t", TrainingStep.class, null));
  }
}
