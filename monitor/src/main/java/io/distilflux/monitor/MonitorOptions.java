package io.distilflux.monitor;

import io.distilflux.monitor.metrics.MonitorMetrics;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link MonitorService}.
 *
 * @param httpHost address the HTTP server binds ({@code 0.0.0.0} in containers)
 * @param httpPort port of the HTTP server; 0 picks a free one
 * @param meterRetention how long a finished run's meters stay after its end
 */
public record MonitorOptions(String httpHost, int httpPort, Duration meterRetention) {

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
    Objects.requireNonNull(meterRetention, "meterRetention");
    if (meterRetention.isNegative()) {
      throw new IllegalArgumentException(
          "meterRetention must not be negative, got " + meterRetention);
    }
  }

  /** The defaults: {@code 0.0.0.0:9464}, meters kept 10 minutes after a run's end. */
  public static MonitorOptions defaults() {
    return new MonitorOptions(DEFAULT_HOST, DEFAULT_PORT, MonitorMetrics.DEFAULT_RETENTION);
  }

  /** The same options on another host and port. */
  public MonitorOptions withHttp(String host, int port) {
    return new MonitorOptions(host, port, meterRetention);
  }

  /** The same options with another retention of finished runs' meters. */
  public MonitorOptions withMeterRetention(Duration retention) {
    return new MonitorOptions(httpHost, httpPort, retention);
  }
}
