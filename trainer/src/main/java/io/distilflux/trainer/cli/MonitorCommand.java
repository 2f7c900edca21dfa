package io.distilflux.trainer.cli;

import io.distilflux.monitor.KafkaMonitor;
import io.distilflux.monitor.MonitorOptions;
import io.distilflux.monitor.MonitorService;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.kafka.KafkaConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code distilflux monitor}: the monitor as a long-running service. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
    description = {
      "Publishes the trajectory forecasts (docs/method.md §4) and serves every run's meters until stopped.",
      "Meters and the consumer lag of the deployment's groups are served on /metrics (Prometheus), with /health beside it."
    })
final class MonitorCommand implements Callable<Integer> {

  @Mixin ServiceOptions service;

  @Option(names = "--group", paramLabel = "ID", defaultValue = MonitorService.DEFAULT_GROUP,
      description = "Consumer group (default ${DEFAULT-VALUE}).")
  String group;

  @Option(names = "--metrics-host", paramLabel = "HOST", defaultValue = MonitorOptions.DEFAULT_HOST,
      description = "Address of the HTTP endpoint (default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "" + MonitorOptions.DEFAULT_PORT,
      description = "Port of the HTTP endpoint (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--lag-groups", paramLabel = "LIST", split = ",",
      description = "Consumer groups whose lag is served (default: the monitor's own groups and "
          + "distilflux-meta-optimizer).")
  List<String> lagGroups;

  @Option(names = "--lag-period", paramLabel = "SECONDS", defaultValue = "10",
      description = "How often the consumer lag is measured (default ${DEFAULT-VALUE}).")
  double lagPeriod;

  @Option(names = "--meter-retention", paramLabel = "SECONDS", defaultValue = "600",
      description = "How long a finished run's meters stay on /metrics after its end "
          + "(default ${DEFAULT-VALUE}).")
  double meterRetention;

  @Override
  public Integer call() throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--metrics-port must be in [0, 65535], got " + port);
    }
    if (!(lagPeriod > 0) || Double.isInfinite(lagPeriod)) {
      throw new IllegalArgumentException("--lag-period must be > 0 seconds, got " + lagPeriod);
    }
    if (!(meterRetention >= 0) || Double.isInfinite(meterRetention)) {
      throw new IllegalArgumentException(
          "--meter-retention must be >= 0 seconds, got " + meterRetention);
    }
    Topics topics = new Topics(service.topicPrefix);
    KafkaConnection connection = service.connection();
    if (service.createTopics) {
      service.admin().ensureTopics(connection, topics);
    }
    List<String> groups = lagGroups == null ? KafkaMonitor.defaultLagGroups(group) : lagGroups;
    UntilStopped stop = new UntilStopped("monitor");
    try (KafkaMonitor monitor = KafkaMonitor.start(connection, topics, group,
        MonitorOptions.defaults().withHttp(host, port)
            .withMeterRetention(Duration.ofMillis((long) (meterRetention * 1000))), groups,
        Duration.ofMillis((long) (lagPeriod * 1000)))) {
      System.err.println("monitor running against " + service.bootstrapServers + "; metrics on http://"
          + host + ":" + monitor.service().port() + "/metrics; stop with Ctrl-C");
      stop.await();
    } finally {
      stop.closed();
    }
    return 0;
  }
}
