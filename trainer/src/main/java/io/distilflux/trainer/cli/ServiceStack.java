package io.distilflux.trainer.cli;

import io.distilflux.monitor.KafkaMonitor;
import io.distilflux.monitor.MonitorOptions;
import io.distilflux.monitor.MonitorService;
import io.distilflux.monitor.lag.ConsumerLag;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.kafka.DeadLetter;
import io.distilflux.pipeline.kafka.EmbeddedKafka;
import io.distilflux.pipeline.kafka.KafkaBusSettings;
import io.distilflux.pipeline.kafka.KafkaConnection;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import io.distilflux.pipeline.meta.MetaOptimizerService;
import io.distilflux.pipeline.meta.MetaOptimizerSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Everything a run talks to, in one process: the bus (embedded Kafka, an external cluster or the
 * in-memory transport), the meta-optimizer ({@link #startMetaOptimizer}) and the monitor with its
 * scrape endpoint (and, on Kafka, the consumer lag of both), unless {@code --services external}
 * says they run as services of their own. Closed in reverse order of start.
 */
final class ServiceStack implements AutoCloseable {

  private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
  private EventBus bus;
  private Topics topics;
  private volatile MonitorService monitor;
  private PrometheusMeterRegistry registry;
  private Thread closeOnStop;
  private boolean metaOptimizerStarted;

  private ServiceStack() {}

  static ServiceStack start(ExperimentSpec spec, PrintStream log) {
    ServiceStack stack = new ServiceStack();
    try {
      stack.topics = new Topics(spec.topicPrefix());
      String servers = null;
      KafkaConnection connection = null;
      if (spec.transport() == ExperimentSpec.Transport.DIRECT) {
        stack.bus = stack.own(new InMemoryEventBus());
        log.println("transport: direct (in-memory)");
      } else {
        if (spec.bootstrapServers().isPresent()) {
          servers = spec.bootstrapServers().get();
        } else {
          long begin = System.nanoTime();
          EmbeddedKafka kafka = stack.own(
              spec.kafkaDir().map(EmbeddedKafka::start).orElseGet(EmbeddedKafka::start));
          servers = kafka.bootstrapServers();
          log.printf("embedded Kafka at %s (started in %.1f s)%n", servers,
              (System.nanoTime() - begin) / 1e9);
        }
        connection = spec.kafkaConfig().isPresent()
            ? KafkaConnection.withConfigFile(servers, spec.kafkaConfig().get())
            : KafkaConnection.plain(servers);
        topicsAdmin(spec).ensureTopics(connection, stack.topics);
        // Dead letters are counted by the monitor, which is created after the bus.
        stack.bus = stack.own(KafkaEventBus.connect(connection, stack.topics,
            KafkaBusSettings.defaults(), stack::countDeadLetter));
      }
      if (spec.services() == ExperimentSpec.Services.EXTERNAL) {
        log.println("services: external (meta-optimizer and monitor on " + servers + ")");
        stack.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        return stack;
      }
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      stack.registry = registry;
      stack.monitor = stack.own(new MonitorService(stack.bus, stack.topics,
          MonitorService.DEFAULT_GROUP, registry,
          MonitorOptions.defaults().withHttp(MonitorOptions.DEFAULT_HOST, spec.metricsPort())
              .withMeterRetention(spec.meterRetention())));
      stack.monitor.start();
      if (connection != null) {
        stack.own(new ConsumerLag(connection, stack.topics.prefix(),
            KafkaMonitor.defaultLagGroups(MonitorService.DEFAULT_GROUP), registry)
            .start(ConsumerLag.DEFAULT_PERIOD));
      }
      return stack;
    } catch (RuntimeException e) {
      stack.close();
      throw e;
    }
  }

  /**
   * How missing topics are made: one partition each on a broker embedded here that only this
   * process's runs and services use, the single-broker defaults on a cluster or when the services
   * run elsewhere (their instances share a group's partitions). Topics that exist stay as they
   * are.
   */
  static KafkaTopicsAdmin topicsAdmin(ExperimentSpec spec) {
    return spec.bootstrapServers().isEmpty()
        && spec.services() == ExperimentSpec.Services.IN_PROCESS
        ? KafkaTopicsAdmin.oneProcess() : KafkaTopicsAdmin.singleBroker();
  }

  /**
   * Starts the in-process meta-optimizer (nothing with {@code --services external}), its
   * hypergradients read in batches of up to {@code batchWait} (see {@link
   * ExperimentSpec#metaPathBatchWait}); started once the runs' students are known, before the
   * first run starts.
   *
   * @throws IllegalStateException when already started
   */
  synchronized void startMetaOptimizer(ExperimentSpec spec, Duration batchWait) {
    if (metaOptimizerStarted) {
      throw new IllegalStateException("the meta-optimizer is already started");
    }
    metaOptimizerStarted = true;
    if (spec.services() == ExperimentSpec.Services.EXTERNAL) {
      return;
    }
    MetaOptimizerService service = own(new MetaOptimizerService(bus, topics,
        MetaOptimizerService.DEFAULT_GROUP, MetaOptimizerSettings.defaults()
            .withRule(spec.base().metaOptimizer(), spec.base().metaLearningRate(),
                spec.base().metaClip()), batchWait));
    service.start();
  }

  private void countDeadLetter(DeadLetter letter) {
    MonitorService current = monitor;
    if (current != null) {
      current.metrics().deadLettered(letter.key());
    }
  }

  private <T extends AutoCloseable> T own(T resource) {
    toClose.push(resource);
    return resource;
  }

  EventBus bus() {
    return bus;
  }

  Topics topics() {
    return topics;
  }

  /**
   * The in-process monitor's registry, served on {@code /metrics}, where the trainer's meters go
   * too; with external services, a registry of the trainer's own that nothing scrapes.
   */
  PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The in-process monitor's scrape address; empty with external services. */
  Optional<String> metricsUrl() {
    return Optional.ofNullable(monitor).map(m -> "http://localhost:" + m.port() + "/metrics");
  }

  /**
   * Keeps the in-process {@code /metrics} up until it has been scraped once more or {@code wait}
   * has passed, when it has been scraped at all (nothing to wait for with external services).
   */
  void awaitFinalScrape(java.time.Duration wait, PrintStream log) {
    MonitorService current = monitor;
    if (current != null) {
      java.util.concurrent.CompletableFuture<Void> next = current.nextScrape();
      FinalScrape.await(next, current.scrapesServed(), wait, metricsUrl().orElseThrow(), log);
    }
  }

  /**
   * Closes the stack when the JVM is stopped (Ctrl-C, SIGTERM) before {@link #close()}: the
   * meta-optimizer and the monitor commit and leave their consumer groups, and an embedded broker
   * shuts down cleanly, so that a resumed run's services take the partitions over at once
   * instead of waiting for the vanished members' sessions to time out.
   *
   * @param beforeClose told first, so that the experiment stops recording runs that fail
   *     because their services went away
   */
  synchronized ServiceStack closeOnStop(Runnable beforeClose) {
    if (closeOnStop == null) {
      closeOnStop = new Thread(() -> {
        beforeClose.run();
        close();
      }, "distilflux-close-services");
      Runtime.getRuntime().addShutdownHook(closeOnStop);
    }
    return this;
  }

  @Override
  public synchronized void close() {
    if (closeOnStop != null && Thread.currentThread() != closeOnStop) {
      try {
        Runtime.getRuntime().removeShutdownHook(closeOnStop);
      } catch (IllegalStateException shuttingDown) {
        // the hook is closing the stack, or has closed it
      }
      closeOnStop = null;
    }
    while (!toClose.isEmpty()) {
      try {
        toClose.pop().close();
      } catch (Exception e) {
        // Shutting down: report and go on closing the rest.
        System.err.println("distilflux: while closing: " + Distilflux.oneLine(e));
      }
    }
  }
}
