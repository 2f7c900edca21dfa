package io.distilflux.trainer.cli;

import io.distilflux.monitor.MonitorOptions;
import io.distilflux.monitor.MonitorService;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.kafka.KafkaBusSettings;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import java.util.concurrent.atomic.AtomicReference;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code distilflux monitor}: the monitor as a long-running service. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
    description = {
      "Publishes the linear trajectory forecasts (method.md §4) and serves every run's meters on",
      "/metrics (Prometheus) and /health, until stopped."
    })
final class MonitorCommand implements Callable<Integer> {

  @Mixin ServiceOptions service;

  @Option(names = "--group", paramLabel = "ID", defaultValue = "distilflux-monitor",
      description = "Consumer group (default ${DEFAULT-VALUE}).")
  String group;

  @Option(names = "--metrics-host", paramLabel = "HOST", defaultValue = MonitorOptions.DEFAULT_HOST,
      description = "Address of the HTTP endpoint (default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "9464",
      description = "Port of the HTTP endpoint (default ${DEFAULT-VALUE}).")
  int port;

  @Override
  public Integer call() throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--metrics-port must be in [0, 65535], got " + port);
    }
    Topics topics = new Topics(service.topicPrefix);
    if (service.createTopics) {
      service.admin().ensureTopics(service.bootstrapServers, topics);
    }
    UntilStopped stop = new UntilStopped("monitor");
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AtomicReference<MonitorService> counting = new AtomicReference<>();
    try (KafkaEventBus bus = KafkaEventBus.connect(service.bootstrapServers, topics,
            KafkaBusSettings.defaults(), letter -> {
              MonitorService current = counting.get();
              if (current != null) {
                current.metrics().deadLettered(letter.key());
              }
            });
        MonitorService monitor = new MonitorService(bus, topics, group, registry,
            MonitorOptions.defaults().withHttp(host, port))) {
      counting.set(monitor);
      monitor.start();
      System.err.println("monitor running against " + service.bootstrapServers + "; metrics on http://"
          + host + ":" + monitor.port() + "/metrics; stop with Ctrl-C");
      stop.await();
    } finally {
      stop.closed();
    }
    return 0;
  }
}
