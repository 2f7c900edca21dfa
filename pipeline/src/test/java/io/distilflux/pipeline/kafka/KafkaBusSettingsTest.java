package io.distilflux.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class KafkaBusSettingsTest {

  @Test
  void backgroundChannelsLingerAndAwaitedOnesDoNotByDefault() {
    KafkaBusSettings defaults = KafkaBusSettings.defaults();
    assertEquals(Duration.ZERO, defaults.linger());
    assertTrue(defaults.backgroundLinger().compareTo(Duration.ZERO) > 0);
  }

  @Test
  void withBackgroundLingerChangesOnlyThatLinger() {
    KafkaBusSettings defaults = KafkaBusSettings.defaults();
    KafkaBusSettings changed = defaults.withBackgroundLinger(Duration.ofMillis(7));
    assertEquals(Duration.ofMillis(7), changed.backgroundLinger());
    assertEquals(defaults, changed.withBackgroundLinger(defaults.backgroundLinger()));
  }

  @Test
  void aNegativeBackgroundLingerIsRejectedNamingIt() {
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
        () -> KafkaBusSettings.defaults().withBackgroundLinger(Duration.ofMillis(-1)));
    assertTrue(error.getMessage().startsWith("backgroundLinger"), error.getMessage());
  }
}
