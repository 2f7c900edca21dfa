package io.distilflux.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void aPrefixOfKafkasTopicCharactersNamesEveryTopic() {
    Topics topics = new Topics("team-a_2.");
    assertEquals("team-a_2.steps", topics.steps().topic());
    assertEquals("steps", new Topics("").steps().topic());
  }

  @Test
  void aPrefixKafkaWouldRefuseIsRefusedAtOnce() {
    for (String bad : new String[] {"bad/prefix", "space ", "é.", "x".repeat(201)}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new Topics(bad));
      assertTrue(e.getMessage().startsWith("topic prefix may hold only"), e.getMessage());
      assertTrue(e.getMessage().length() < 200, "one short line: " + e.getMessage());
    }
  }
}
