package io.distilflux.monitor;

import java.util.Objects;

/**
 * Settings of a {@link MonitorService}.
 *
 * @param httpHost address the HTTP server binds ({@code 0.0.0.0} in containers)
 * @param httpPort port of the HTTP server; 0 picks a free one
 */
public record MonitorOptions(String httpHost, int httpPort) {

  /** Default HTTP host. */
  public static final String DEFAULT_HOST = "0.0.0.0";
  /** Default HTTP port. */
  public static final int DEFAULT_PORT = 9464;

  /** Validates the settings; a bad one is named in the message. */
  public MonitorOptions {
    Objects.requireNonNull(httpHost, "httpHost");
    if (httpHost.isBlank()) {
      throw new IllegalArgumentException("httpHost must not be blank");
    }
    if (httpPort < 0 || httpPort > 65_535) {
      throw new IllegalArgumentException("httpPort must be in 0..65535, got " + httpPort);
    }
  }

  /** The defaults: {@code 0.0.0.0:9464}. */
  public static MonitorOptions defaults() {
    return new MonitorOptions(DEFAULT_HOST, DEFAULT_PORT);
  }

  /** The same options on another host and port. */
  public MonitorOptions withHttp(String host, int port) {
    return new MonitorOptions(host, port);
  }
}
