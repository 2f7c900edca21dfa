package io.distilflux.monitor;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link MonitorService}.
 *
 * @param httpHost address the HTTP server binds ({@code 0.0.0.0} in containers)
 * @param httpPort port of the HTTP server; 0 picks a free one
 * @param restoreQuiet how long the forecasts topic must stay quiet after start before
 *     hypergradients are read, so forecasts published before a restart are known first
 */
public record MonitorOptions(String httpHost, int httpPort, Duration restoreQuiet) {

  /** Default HTTP host. */
  public static final String DEFAULT_HOST = "0.0.0.0";
  /** Default HTTP port. */
  public static final int DEFAULT_PORT = 9464;
  /** Default quiet period of the restore. */
  public static final Duration DEFAULT_RESTORE_QUIET = Duration.ofSeconds(2);

  /** Validates the settings; a bad one is named in the message. */
  public MonitorOptions {
    Objects.requireNonNull(httpHost, "httpHost");
    if (httpHost.isBlank()) {
      throw new IllegalArgumentException("httpHost must not be blank");
    }
    if (httpPort < 0 || httpPort > 65_535) {
      throw new IllegalArgumentException("httpPort must be in 0..65535, got " + httpPort);
    }
    Objects.requireNonNull(restoreQuiet, "restoreQuiet");
    if (restoreQuiet.isNegative()) {
      throw new IllegalArgumentException("restoreQuiet must not be negative, got " + restoreQuiet);
    }
  }

  /** The defaults: {@code 0.0.0.0:9464}, two seconds of quiet. */
  public static MonitorOptions defaults() {
    return new MonitorOptions(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_RESTORE_QUIET);
  }

  /** The same options on another host and port. */
  public MonitorOptions withHttp(String host, int port) {
    return new MonitorOptions(host, port, restoreQuiet);
  }

  /** The same options with another quiet period. */
  public MonitorOptions withRestoreQuiet(Duration quiet) {
    return new MonitorOptions(httpHost, httpPort, quiet);
  }
}
