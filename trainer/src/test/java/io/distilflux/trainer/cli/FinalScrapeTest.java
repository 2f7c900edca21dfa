package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FinalScrapeTest {

  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private final PrintStream log = new PrintStream(printed, true, StandardCharsets.UTF_8);

  @Test
  void aScrapeAfterTheEndEndsTheWaitAtOnce() throws Exception {
    CompletableFuture<Void> scrape = new CompletableFuture<>();
    CompletableFuture<Boolean> waited = CompletableFuture.supplyAsync(
        () -> FinalScrape.await(scrape, 3, Duration.ofHours(1), "http://x/metrics", log));
    scrape.complete(null);
    assertTrue(waited.get(30, TimeUnit.SECONDS), "the wait ends with the scrape, not the hour");
    assertTrue(printed.toString(StandardCharsets.UTF_8).contains("--final-scrape-wait"));
  }

  @Test
  void zeroWaitClosesAtOnce() {
    assertFalse(FinalScrape.await(new CompletableFuture<>(), 3, Duration.ZERO, "u", log));
    assertEquals("", printed.toString(StandardCharsets.UTF_8));
  }

  @Test
  void anEndpointNeverScrapedIsNotKeptUp() {
    assertFalse(FinalScrape.await(new CompletableFuture<>(), 0, Duration.ofHours(1), "u", log));
    assertEquals("", printed.toString(StandardCharsets.UTF_8));
  }

  @Test
  void noScrapeWithinTheWaitEndsItAfterTheWait() {
    assertFalse(FinalScrape.await(new CompletableFuture<>(), 1, Duration.ofMillis(1), "u", log));
  }
}
