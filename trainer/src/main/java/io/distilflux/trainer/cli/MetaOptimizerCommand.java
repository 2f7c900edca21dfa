package io.distilflux.trainer.cli;

import io.distilflux.monitor.MonitorOptions;
import io.distilflux.monitor.http.MetricsServer;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.kafka.KafkaBusSettings;
import io.distilflux.pipeline.kafka.KafkaConnection;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.distilflux.pipeline.meta.MetaOptimizerService;
import io.distilflux.pipeline.meta.MetaOptimizerSettings;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code distilflux meta-optimizer}: the meta-optimizer as a long-running service. */
@Command(name = "meta-optimizer", mixinStandardHelpOptions = true,
    description = {
      "Consumes hypergradients and publishes the updated meta-parameters (docs/method.md §3) until stopped.",
      "Instances in one consumer group split the runs between them. Per-run settings come from each run's RunStarted (the flags replace invalid ones); runs without one get no updates."
    })
final class MetaOptimizerCommand implements Callable<Integer> {

  @Mixin ServiceOptions service;

  /** Default port of the health endpoint. */
  static final int DEFAULT_HEALTH_PORT = 9465;

  @Option(names = "--group", paramLabel = "ID", defaultValue = MetaOptimizerService.DEFAULT_GROUP,
      description = "Consumer group (default ${DEFAULT-VALUE}).")
  String group;

  @Option(names = "--meta-optimizer", paramLabel = "KIND", defaultValue = "SGD",
      description = "Default update rule: SGD or ADAM (default ${DEFAULT-VALUE}).")
  OptimizerKind rule;

  @Option(names = "--meta-lr", paramLabel = "η", defaultValue = "1.0",
      description = "Default meta learning rate (default ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--meta-clip", paramLabel = "C", defaultValue = "1.0",
      description = "Default per-component clip (default ${DEFAULT-VALUE}).")
  double clip;

  @Option(names = "--batch-wait-ms", paramLabel = "MS", defaultValue = "0",
      description = "How long hypergradients may gather before they are read, in milliseconds, 0 to 1000 (default ${DEFAULT-VALUE}: each answered at once, as trainers run with --run-ahead 0 need; "
          + "25, what run's own meta-optimizer uses when small students run ahead, makes a broker request per batch instead of per few records).")
  int batchWaitMs;

  @Option(names = "--health-host", paramLabel = "HOST", defaultValue = MonitorOptions.DEFAULT_HOST,
      description = "Address of the /health and /metrics endpoint (default ${DEFAULT-VALUE}).")
  String healthHost;

  @Option(names = "--health-port", paramLabel = "PORT", defaultValue = "" + DEFAULT_HEALTH_PORT,
      description = "Port of the /health and /metrics endpoint (default ${DEFAULT-VALUE}; 0: any free port).")
  int healthPort;

  @Override
  public Integer call() throws InterruptedException {
    if (!(learningRate > 0) || !(clip > 0)) {
      throw new IllegalArgumentException("--meta-lr and --meta-clip must be > 0");
    }
    if (batchWaitMs < 0 || batchWaitMs > 1000) {
      throw new IllegalArgumentException("--batch-wait-ms must be in [0, 1000], got " + batchWaitMs);
    }
    if (healthPort < 0 || healthPort > 65535) {
      throw new IllegalArgumentException("--health-port must be in [0, 65535], got " + healthPort);
    }
    Topics topics = new Topics(service.topicPrefix);
    KafkaConnection connection = service.connection();
    if (service.createTopics) {
      service.admin().ensureTopics(connection, topics);
    }
    UntilStopped stop = new UntilStopped("meta-optimizer");
    try (KafkaEventBus bus = KafkaEventBus.connect(connection, topics,
            KafkaBusSettings.defaults(), letter -> {});
        MetaOptimizerService optimizer = new MetaOptimizerService(bus, topics, group,
            MetaOptimizerSettings.defaults().withRule(rule, learningRate, clip),
            java.time.Duration.ofMillis(batchWaitMs))) {
      optimizer.start();
      try (MetricsServer http = MetricsServer.start(healthHost, healthPort,
          MetaOptimizerHealth.registry(optimizer), () -> MetaOptimizerHealth.of(optimizer, group))) {
        System.err.println("meta-optimizer running against " + service.bootstrapServers
            + " (group " + group + "); health on http://" + healthHost + ":" + http.port()
            + "/health; stop with Ctrl-C");
        stop.await();
      }
    } finally {
      stop.closed();
    }
    return 0;
  }
}
