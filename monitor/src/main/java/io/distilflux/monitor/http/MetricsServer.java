package io.distilflux.monitor.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A small HTTP server: {@code GET /metrics} answers the registry's Prometheus text scrape and
 * {@code GET /health} a JSON status. Runs on one daemon thread of its own.
 */
public final class MetricsServer implements AutoCloseable {

  /** Content type of the Prometheus text exposition format. */
  public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicReference<CompletableFuture<Void>> nextScrape;
  private final AtomicLong scrapes;

  private MetricsServer(HttpServer server, ExecutorService executor,
      AtomicReference<CompletableFuture<Void>> nextScrape, AtomicLong scrapes) {
    this.server = server;
    this.executor = executor;
    this.nextScrape = nextScrape;
    this.scrapes = scrapes;
  }

  /**
   * Binds and starts the server.
   *
   * @param host address to bind, for example {@code 0.0.0.0} or {@code 127.0.0.1}
   * @param port port to bind; 0 picks a free one (see {@link #port()})
   * @param registry the registry scraped on {@code /metrics}
   * @param health the service's health, asked per request: 200 when up, 503 when down
   * @throws UncheckedIOException naming host and port when the address cannot be bound
   */
  public static MetricsServer start(
      String host, int port, PrometheusMeterRegistry registry, Supplier<Health> health) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("http port must be in 0..65535, got " + port);
    }
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind http server to " + host + ":" + port, e);
    }
    AtomicReference<CompletableFuture<Void>> nextScrape =
        new AtomicReference<>(new CompletableFuture<>());
    AtomicLong scrapes = new AtomicLong();
    server.createContext("/metrics", exchange -> {
      // Swapped before the registry is read: the scrape answers what was there at its start.
      CompletableFuture<Void> served = nextScrape.getAndSet(new CompletableFuture<>());
      scrapes.incrementAndGet();
      answer(exchange, PROMETHEUS_TEXT, registry::scrape);
      served.complete(null);
    });
    server.createContext(
        "/health", exchange -> answerHealth(exchange, health));
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "distilflux-monitor-http");
              thread.setDaemon(true);
              return thread;
            });
    server.setExecutor(executor);
    server.start();
    return new MetricsServer(server, executor, nextScrape, scrapes);
  }

  /** Requests to {@code /metrics} received so far. */
  public long scrapesServed() {
    return scrapes.get();
  }

  /**
   * Completes once a {@code /metrics} scrape that starts after this call has been answered: a
   * service about to stop waits on it so that its final values are scraped.
   */
  public CompletableFuture<Void> nextScrape() {
    return nextScrape.get();
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops accepting requests and releases the port. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static void answer(HttpExchange exchange, String contentType, Supplier<String> body)
      throws IOException {
    try (exchange) {
      if (isGetOfContextPath(exchange)) {
        send(exchange, 200, contentType, body.get());
      }
    }
  }

  private static void answerHealth(HttpExchange exchange, Supplier<Health> health)
      throws IOException {
    try (exchange) {
      if (isGetOfContextPath(exchange)) {
        Health now = health.get();
        send(exchange, now.up() ? 200 : 503, "application/json", now.toJson());
      }
    }
  }

  /** Answers 404 or 405 itself and returns false unless the request is a GET of the path. */
  private static boolean isGetOfContextPath(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    if (!path.equals(exchange.getHttpContext().getPath())) {
      send(exchange, 404, "text/plain", "no such path: " + path + "\n");
      return false;
    }
    if (!"GET".equals(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().set("Allow", "GET");
      send(exchange, 405, "text/plain", "only GET is served\n");
      return false;
    }
    return true;
  }

  private static void send(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
