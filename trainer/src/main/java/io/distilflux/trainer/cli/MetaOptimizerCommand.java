package io.distilflux.trainer.cli;

import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
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
      "Consumes hypergradients and publishes the updated meta-parameters (method.md §3) until",
      "stopped. Instances in one consumer group split the runs between them. Per-run settings",
      "come from each run's RunStarted; the flags are the defaults for runs without one."
    })
final class MetaOptimizerCommand implements Callable<Integer> {

  @Mixin ServiceOptions service;

  @Option(names = "--group", paramLabel = "ID", defaultValue = "distilflux-meta-optimizer",
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

  @Override
  public Integer call() throws InterruptedException {
    if (!(learningRate > 0) || !(clip > 0)) {
      throw new IllegalArgumentException("--meta-lr and --meta-clip must be > 0");
    }
    Topics topics = new Topics(service.topicPrefix);
    if (service.createTopics) {
      service.admin().ensureTopics(service.bootstrapServers, topics);
    }
    UntilStopped stop = new UntilStopped("meta-optimizer");
    try (KafkaEventBus bus = KafkaEventBus.connect(service.bootstrapServers, topics);
        MetaOptimizerService optimizer = new MetaOptimizerService(bus, topics, group,
            MetaOptimizerSettings.defaults().withRule(rule, learningRate, clip))) {
      optimizer.start();
      System.err.println("meta-optimizer running against " + service.bootstrapServers
          + " (group " + group + "); stop with Ctrl-C");
      stop.await();
    } finally {
      stop.closed();
    }
    return 0;
  }
}
