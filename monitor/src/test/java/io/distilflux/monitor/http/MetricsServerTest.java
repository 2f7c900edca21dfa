package io.distilflux.monitor.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsServerTest {

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private HttpResponse<String> get(MetricsServer server, String path, String method)
      throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesTheScrapeAndHealthAndRejectsOtherRequests() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Counter.builder("test.hits").tag("run", "r1").register(registry).increment(3);
    try (MetricsServer server =
        MetricsServer.start(
            "127.0.0.1", 0, registry, () -> new Health(true, Map.of("runs", 2)))) {
      HttpResponse<String> metrics = get(server, "/metrics", "GET");
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains("test_hits_total{run=\"r1\"} 3.0"), metrics.body());
      assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));

      HttpResponse<String> health = get(server, "/health", "GET");
      assertEquals(200, health.statusCode());
      assertEquals("{\"status\":\"UP\",\"runs\":2}", health.body());

      assertEquals(405, get(server, "/metrics", "POST").statusCode());
      assertEquals(404, get(server, "/metrics/extra", "GET").statusCode());
      assertEquals(404, get(server, "/", "GET").statusCode());
    }
  }

  @Test
  void healthAnswers503WhenDown() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (MetricsServer server =
        MetricsServer.start(
            "127.0.0.1", 0, registry, () -> new Health(false, Map.of("error", "bus closed")))) {
      HttpResponse<String> health = get(server, "/health", "GET");
      assertEquals(503, health.statusCode());
      assertEquals("{\"status\":\"DOWN\",\"error\":\"bus closed\"}", health.body());
    }
  }

  @Test
  void aTakenPortIsReportedWithHostAndPort() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Health up = new Health(true, Map.of());
    try (MetricsServer first = MetricsServer.start("127.0.0.1", 0, registry, () -> up)) {
      UncheckedIOException e =
          assertThrows(
              UncheckedIOException.class,
              () -> MetricsServer.start("127.0.0.1", first.port(), registry, () -> up));
      assertEquals("cannot bind http server to 127.0.0.1:" + first.port(), e.getMessage());
    }
  }

  @Test
  void nextScrapeCompletesOnlyWhenAScrapeAfterTheCallHasBeenAnswered() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (MetricsServer server =
        MetricsServer.start("127.0.0.1", 0, registry, () -> new Health(true, Map.of()))) {
      get(server, "/metrics", "GET");
      assertEquals(1, server.scrapesServed());
      java.util.concurrent.CompletableFuture<Void> next = server.nextScrape();
      assertTrue(!next.isDone(), "a scrape before the call does not count");
      get(server, "/health", "GET");
      assertTrue(!next.isDone(), "a health check is no scrape");
      get(server, "/metrics", "GET");
      next.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(2, server.scrapesServed());
    }
  }
}
