package io.distilflux.trainer.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Keeps the in-process {@code /metrics} up after the last run has ended, so that Prometheus
 * scrapes the final values: until one scrape that started after the end has been answered, or
 * until the wait (one scrape interval, {@code --final-scrape-wait}) has passed. An endpoint that
 * was never scraped has no scraper to wait for.
 */
final class FinalScrape {

  private FinalScrape() {}

  /**
   * Waits for {@code scrape} at most {@code wait}.
   *
   * @param scrape completes when a scrape after the end has been served
   * @param scrapedBefore scrapes served before the end
   * @return whether the scrape came within the wait
   */
  static boolean await(CompletableFuture<Void> scrape, long scrapedBefore, Duration wait,
      String url, PrintStream log) {
    if (wait.isZero() || wait.isNegative() || scrapedBefore == 0) {
      return scrape.isDone();
    }
    log.printf("metrics: kept up for a last scrape of %s, at most %d s (--final-scrape-wait)%n",
        url, wait.toSeconds());
    try {
      scrape.get(wait.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      // Stopping anyway (Ctrl-C): close now.
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
