package io.distilflux.trainer.run;

import io.distilflux.monitor.MonitorOptions;
import io.distilflux.monitor.MonitorService;
import io.distilflux.pipeline.EventRouter;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.kafka.EmbeddedKafka;
import io.distilflux.pipeline.kafka.TestKafka;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import io.distilflux.pipeline.meta.MetaOptimizerService;
import io.distilflux.pipeline.meta.MetaOptimizerSettings;
import io.distilflux.trainer.cli.ExperimentSpec;
import io.distilflux.trainer.cli.RunOptions;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The whole stack of the main job on a Kafka broker (the test switch's, see {@link TestKafka};
 * the embedded broker on a kept log folder for tests that restart it), as {@code distilflux run}
 * wires it:
 * topics, Kafka bus, meta-optimizer, monitor with its scrape endpoint, and an assembler of
 * synthetic runs with a cheap teacher. One per test class: the broker takes seconds to start.
 */
final class KafkaServices implements AutoCloseable {

  static final String META_GROUP = "e2e-meta-optimizer";

  /** The broker's address; stays the same across {@link #restartBroker}. */
  final Broker kafka;
  final Topics topics = new Topics("e2e.");
  final KafkaEventBus bus;
  MonitorService monitor;
  final Scheduler trainers = Schedulers.newBoundedElastic(8, 16, "e2e-trainer");
  private MetaOptimizerService metaOptimizer;
  private final ExperimentSpec spec;
  private final RunAssembler assembler;
  private final Path workDir;

  /**
   * @param settings experiment flags (long names without dashes) over the synthetic defaults
   * @param workDir teacher cache folder
   */
  KafkaServices(Map<String, String> settings, Path workDir) {
    this(settings, workDir, null);
  }

  /** As the other constructor, with the broker's log in {@code kafkaDir} (null: temporary). */
  KafkaServices(Map<String, String> settings, Path workDir, Path kafkaDir) {
    this.workDir = workDir;
    kafka = kafkaDir == null ? new Broker(TestKafka.start()) : new Broker(EmbeddedKafka.start(kafkaDir));
    try {
      KafkaTopicsAdmin.singleBroker().ensureTopics(kafka.bootstrapServers(), topics);
      bus = KafkaEventBus.connect(kafka.bootstrapServers(), topics);
      Map<String, String> all = new HashMap<>(Map.of("seeds", "1", "teacher-steps", "200",
          "train-size", "60", "validation-size", "30", "test-size", "60"));
      all.putAll(settings);
      spec = RunOptions.parse(all);
      metaOptimizer = startMetaOptimizer();
      monitor = startMonitor(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      assembler = new RunAssembler(
          new DataOptions(spec.splits().train(), spec.splits().validation(),
              spec.splits().test(), spec.teacherEpochs(), spec.teacherSteps(), workDir),
          bus, topics, spec.metaTimeout(), Provenance.current(RunAssembler.backendName()));
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * A meta-optimizer of the stack's group, started (blocks while it rebuilds its state from
   * the topics up to their end offsets).
   */
  MetaOptimizerService startMetaOptimizer() {
    MetaOptimizerService service = new MetaOptimizerService(bus, topics, META_GROUP,
        MetaOptimizerSettings.defaults()
            .withRule(spec.base().metaOptimizer(), spec.base().metaLearningRate(),
                spec.base().metaClip()));
    service.start();
    return service;
  }

  /** A monitor of the stack's group, started. */
  MonitorService startMonitor(PrometheusMeterRegistry registry) {
    MonitorService service = new MonitorService(bus, topics, "e2e-monitor", registry,
        MonitorOptions.defaults().withHttp("127.0.0.1", 0));
    service.start();
    return service;
  }

  /** Stops the broker and starts it again on the same log folder and ports. */
  void restartBroker(java.time.Duration down) throws InterruptedException {
    kafka.restart(down);
  }

  /** Closes the running meta-optimizer (a crash, as far as the others can tell). */
  void stopMetaOptimizer() {
    metaOptimizer.close();
    metaOptimizer = null;
  }

  /** Starts a fresh meta-optimizer of the same group. */
  void restartMetaOptimizer() {
    metaOptimizer = startMetaOptimizer();
  }

  /** An assembler of the stack's runs on {@code bus}, with these long-run settings. */
  RunAssembler assembler(io.distilflux.pipeline.EventBus on, LongRunOptions longRun) {
    return new RunAssembler(
        new DataOptions(spec.splits().train(), spec.splits().validation(),
            spec.splits().test(), spec.teacherEpochs(), spec.teacherSteps(), workDir),
        on, topics, spec.metaTimeout(), Provenance.current(RunAssembler.backendName()), longRun);
  }

  /** An assembler of the stack's runs on {@code bus} whose runs wait {@code metaTimeout}. */
  RunAssembler assembler(io.distilflux.pipeline.EventBus on, Duration metaTimeout) {
    return new RunAssembler(
        new DataOptions(spec.splits().train(), spec.splits().validation(),
            spec.splits().test(), spec.teacherEpochs(), spec.teacherSteps(), workDir),
        on, topics, metaTimeout, Provenance.current(RunAssembler.backendName()));
  }

  /** Publishes every event of {@code events} through the router; returns its RunFinished. */
  RunFinished publish(Flux<Event> events) {
    AtomicReference<RunFinished> finished = new AtomicReference<>();
    new EventRouter(bus, topics).publish(events.doOnNext(event -> {
      if (event instanceof RunFinished f) {
        finished.set(f);
      }
    })).blockLast(Duration.ofSeconds(120));
    return finished.get();
  }

  /** The configuration of a run of this mode with the given number of steps. */
  RunConfig config(RunConfig.Mode mode, long steps) {
    return spec.configFor(mode, spec.seeds().get(0), steps);
  }

  /** Trains the run, publishing every event through the router; returns its RunFinished. */
  RunFinished train(String runId, RunConfig config, Function<Flux<Event>, Flux<Event>> tap) {
    return train(runId, config, 0, tap);
  }

  /**
   * As the other, the run going up to {@code runAhead} steps ahead of the meta-optimizer (0:
   * waiting for each update).
   */
  RunFinished train(String runId, RunConfig config, int runAhead,
      Function<Flux<Event>, Flux<Event>> tap) {
    RunAssembler by = runAhead == 0 ? assembler : assembler(bus, new LongRunOptions(
        OnMetaTimeout.FAIL, Checkpointing.off(),
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), runAhead));
    StudentRun run = by.assemble(runId, config);
    AtomicReference<RunFinished> finished = new AtomicReference<>();
    Flux<Event> events = tap.apply(run.events(trainers)).doOnNext(event -> {
      if (event instanceof RunFinished f) {
        finished.set(f);
      }
    });
    new EventRouter(bus, topics).publish(events).blockLast(Duration.ofSeconds(120));
    return finished.get();
  }

  /**
   * Trains the runs at once, their compute bounded by {@code permits}, optimised runs reading
   * their updates and forecasts from one {@link MetaFeed} of them all; returns every run's events
   * by run id, and in {@code mostInFlight} the most runs started and not yet finished at once.
   */
  Map<String, List<Event>> trainTogether(Map<String, RunConfig> runs, ComputePermits permits,
      AtomicInteger mostInFlight) {
    AtomicInteger inFlight = new AtomicInteger();
    Map<String, List<Event>> events = new ConcurrentHashMap<>();
    try (MetaFeed feed = new MetaFeed(bus, topics, "e2e-feed-" + UUID.randomUUID(),
        runs.keySet())) {
      RunAssembler together = assembler.withMetaFeed(feed);
      Flux.fromIterable(runs.entrySet())
          .flatMap(run -> Flux.defer(() -> {
            List<Event> seen = new ArrayList<>();
            events.put(run.getKey(), seen);
            StudentRun student = permits.compute(
                () -> together.assemble(run.getKey(), run.getValue()));
            return new EventRouter(bus, topics).publish(student.events(trainers, permits)
                .doOnNext(event -> {
                  seen.add(event);
                  if (event instanceof RunStarted) {
                    mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                  } else if (event instanceof RunFinished) {
                    inFlight.decrementAndGet();
                  }
                }));
          }).subscribeOn(trainers), runs.size())
          .blockLast(Duration.ofSeconds(300));
    }
    return events;
  }

  /** Trains the runs one after another, each with readers of its own; events by run id. */
  Map<String, List<Event>> trainOneByOne(Map<String, RunConfig> runs) {
    Map<String, List<Event>> events = new LinkedHashMap<>();
    runs.forEach((runId, config) -> {
      List<Event> seen = new ArrayList<>();
      train(runId, config, flux -> flux.doOnNext(seen::add));
      events.put(runId, seen);
    });
    return events;
  }

  @Override
  public void close() {
    trainers.dispose();
    if (monitor != null) {
      monitor.close();
    }
    if (metaOptimizer != null) {
      metaOptimizer.close();
    }
    if (bus != null) {
      bus.close();
    }
    kafka.close();
  }

  /**
   * The stack's broker: the switch's (embedded or Testcontainers), or an embedded broker on a
   * kept log folder, which alone can be restarted on the same folder and ports.
   */
  static final class Broker implements AutoCloseable {
    private final TestKafka switched;
    private EmbeddedKafka embedded;

    Broker(TestKafka switched) {
      this.switched = switched;
    }

    Broker(EmbeddedKafka embedded) {
      this.switched = null;
      this.embedded = embedded;
    }

    String bootstrapServers() {
      return switched != null ? switched.bootstrapServers() : embedded.bootstrapServers();
    }

    void restart(Duration down) throws InterruptedException {
      if (embedded == null) {
        throw new IllegalStateException("only a broker started on a log folder restarts");
      }
      Path dir = embedded.logDir();
      int port = embedded.brokerPort();
      int controller = embedded.controllerPort();
      embedded.close();
      Thread.sleep(down.toMillis());
      embedded = EmbeddedKafka.start(dir, port, controller);
    }

    @Override
    public void close() {
      if (switched != null) {
        switched.close();
      } else {
        embedded.close();
      }
    }
  }
}
