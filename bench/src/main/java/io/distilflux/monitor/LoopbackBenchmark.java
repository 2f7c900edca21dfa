package io.distilflux.monitor;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.bench.Stats;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunEvent;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.kafka.EmbeddedKafka;
import io.distilflux.pipeline.kafka.KafkaBusSettings;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import io.distilflux.pipeline.meta.MetaOptimizerBenchmark;
import io.distilflux.pipeline.meta.MetaOptimizerService;
import io.distilflux.pipeline.meta.MetaOptimizerSettings;
import io.distilflux.pipeline.meta.MetaOptimizerStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import reactor.core.publisher.Flux;

/**
 * The services' throughput through a real broker on loopback (the embedded KRaft broker): the
 * meta-optimizer's updates per second (it consumes {@code HyperGradient}s and publishes one
 * {@code MetaParams} each, with {@code acks=all}) and the monitor's {@code TrainingStep} events
 * per second (consumed, turned into meters, committed). Prints the median over the repeats.
 *
 * <p>Each round loads its input topic first (that publish rate is printed as context), then
 * starts the service on a bus of its own, as a standalone service would run, and times it
 * from the first output it produced to the last: for the meta-optimizer, MetaParams written to
 * the broker (the topic's end offsets); for the monitor, steps counted by its
 * {@code distilflux.steps} meter. The consumer group's join before the first record is not
 * counted. Every round uses fresh topics, deleted afterwards; a full-size warm-up round of
 * each comes first and is not counted; the rounds of the two services alternate. Beside the
 * rate it prints the process's CPU time per event, which stays comparable on shared cores.
 *
 * <p>Flags: {@code --repeats K} (default 3), {@code --updates N} hypergradients per
 * meta-optimizer round (default 100 000), {@code --steps N} step events per monitor round
 * (default 200 000), {@code --runs R} runs the events are spread over (default 100),
 * {@code --linger-ms L} the linger of awaited channels' producer (default: the bus default;
 * the step events' background channel keeps its own).
 */
public final class LoopbackBenchmark {

  private static final Duration WAIT = Duration.ofMinutes(5);
  private static final com.sun.management.OperatingSystemMXBean CPU =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final EmbeddedKafka kafka;
  private final int runs;
  private final KafkaBusSettings settings;

  private LoopbackBenchmark(EmbeddedKafka kafka, int runs, KafkaBusSettings settings) {
    this.kafka = kafka;
    this.runs = runs;
    this.settings = settings;
  }

  /**
   * Events per second, and the process's CPU time per event in microseconds (all threads, the
   * broker's included): the figure that stays comparable when other work shares the cores.
   */
  private record Rate(double perSecond, double cpuMicros) {}

  /** Runs the benchmark; see the class comment for the flags. */
  public static void main(String[] args) {
    int repeats = 3;
    int updates = 100_000;
    int steps = 200_000;
    int runs = 100;
    KafkaBusSettings settings = KafkaBusSettings.defaults();
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("flag " + args[i] + " needs a value");
      }
      if (args[i].equals("--linger-ms")) {
        settings = settings.withLinger(Duration.ofMillis(Long.parseLong(args[i + 1])));
        continue;
      }
      int value = positive(args[i], args[i + 1]);
      switch (args[i]) {
        case "--repeats" -> repeats = value;
        case "--updates" -> updates = value;
        case "--steps" -> steps = value;
        case "--runs" -> runs = value;
        default -> throw new IllegalArgumentException(
            "unknown flag " + args[i]
                + " (known: --repeats, --updates, --steps, --runs, --linger-ms)");
      }
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      LoopbackBenchmark bench = new LoopbackBenchmark(kafka, runs, settings);
      System.out.printf(Locale.ROOT,
          "producer linger %d ms (background channels %d ms), %d runs%n",
          settings.linger().toMillis(), settings.backgroundLinger().toMillis(), runs);
      // Full-size warm-up rounds: the JIT is still compiling the hot paths well into the first.
      bench.metaOptimizerRound(updates, "warm-up");
      bench.monitorRound(steps, "warm-up");
      double[] meta = new double[repeats];
      double[] metaCpu = new double[repeats];
      double[] monitor = new double[repeats];
      double[] monitorCpu = new double[repeats];
      for (int r = 0; r < repeats; r++) {
        String label = "repeat " + (r + 1);
        Rate m = bench.metaOptimizerRound(updates, label);
        meta[r] = m.perSecond();
        metaCpu[r] = m.cpuMicros();
        Rate s = bench.monitorRound(steps, label);
        monitor[r] = s.perSecond();
        monitorCpu[r] = s.cpuMicros();
      }
      System.out.printf(Locale.ROOT,
          "meta-optimizer over Kafka (loopback): median %,.0f updates/s over %d repeats of %,d"
              + " (min %,.0f, max %,.0f); target 50,000/s; process CPU %.1f us/update%n",
          Stats.median(meta), repeats, updates, Stats.min(meta), Stats.max(meta),
          Stats.median(metaCpu));
      System.out.printf(Locale.ROOT,
          "monitor over Kafka (loopback): median %,.0f step events/s over %d repeats of %,d"
              + " (min %,.0f, max %,.0f); target 100,000/s; process CPU %.1f us/event%n",
          Stats.median(monitor), repeats, steps, Stats.min(monitor), Stats.max(monitor),
          Stats.median(monitorCpu));
    }
  }

  /** Loads {@code count} hypergradients, then times the service answering them. */
  private Rate metaOptimizerRound(int count, String label) {
    Topics topics = freshTopics();
    try {
      List<HyperGradient> inputs = new ArrayList<>(count);
      Unconstrained at = new Unconstrained(0.1, 0.2, -1);
      Unconstrained g = new Unconstrained(0.3, -0.2, 0.1);
      for (int i = 0; i < count; i++) {
        inputs.add(new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "run-" + (i % runs),
            i / runs, at, g, 1, 0.01));
      }
      load(topics, topics.runs(), startsOf(count / runs + 1));
      double loadRate = load(topics, topics.hyperGradients(), inputs);
      try (KafkaEventBus bus = connect(topics);
          EndOffsets written = new EndOffsets(topics.metaParams().topic());
          MetaOptimizerService service = new MetaOptimizerService(bus, topics, "bench-meta",
              MetaOptimizerSettings.defaults())) {
        service.start();
        Rate rate = timeUntil(count, written::sum);
        MetaOptimizerStats stats = service.stats();
        if (stats.updates() != count || stats.duplicates() != 0) {
          throw new IllegalStateException("expected " + count + " updates, got " + stats);
        }
        System.out.printf(Locale.ROOT,
            "%s meta-optimizer: %,.0f updates/s, %.1f us CPU/update (%,d hypergradients loaded"
                + " at %,.0f events/s)%n",
            label, rate.perSecond(), rate.cpuMicros(), count, loadRate);
        return rate;
      }
    } finally {
      deleteTopics(topics);
    }
  }

  /** The RunStarted of every benchmark run: only started runs are served. */
  private List<RunEvent> startsOf(long steps) {
    List<RunEvent> starts = new ArrayList<>(runs);
    for (int r = 0; r < runs; r++) {
      starts.add(MetaOptimizerBenchmark.benchmarkRun("run-" + r, steps));
    }
    return starts;
  }

  /** Loads {@code count} step events, then times the monitor counting them. */
  private Rate monitorRound(int count, String label) {
    Topics topics = freshTopics();
    try {
      List<TrainingStep> inputs = new ArrayList<>(count);
      Phase[] phases = Phase.values();
      for (int i = 0; i < count; i++) {
        long step = i / runs;
        inputs.add(new TrainingStep(Event.CURRENT_SCHEMA_VERSION, "run-" + (i % runs), step, 0,
            phases[(int) (step % phases.length)], 0.5, 0.3, 0.2, new MetaValues(0.6, 0.4, 2.0),
            0.002, 1_700_000_000_000L + step));
      }
      double loadRate = load(topics, topics.steps(), inputs);
      load(topics, topics.runs(), startsOf(count / runs + 1));
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      try (KafkaEventBus bus = connect(topics);
          MonitorService service = new MonitorService(bus, topics, "bench-monitor", registry,
              MonitorOptions.defaults().withHttp("127.0.0.1", 0))) {
        service.start();
        Rate rate = timeUntil(count, () -> (long) registry.find("distilflux.steps").counters()
            .stream().mapToDouble(Counter::count).sum());
        System.out.printf(Locale.ROOT,
            "%s monitor: %,.0f step events/s, %.1f us CPU/event (%,d steps loaded at %,.0f"
                + " events/s)%n",
            label, rate.perSecond(), rate.cpuMicros(), count, loadRate);
        return rate;
      }
    } finally {
      deleteTopics(topics);
    }
  }

  private KafkaEventBus connect(Topics topics) {
    return KafkaEventBus.connect(kafka.bootstrapServers(), topics, settings, letter -> {});
  }

  /** Publishes the events through a bus of their own; returns events per second. */
  private <E extends Event> double load(Topics topics, Channel<E> channel, List<E> events) {
    try (KafkaEventBus loader = connect(topics)) {
      long start = System.nanoTime();
      loader.publish(channel, Flux.fromIterable(events)).blockLast(WAIT);
      return events.size() / ((System.nanoTime() - start) / 1e9);
    }
  }

  /**
   * Samples {@code progress} until it reaches {@code target}; the rate from the first sample
   * that saw progress to the one that saw the target.
   */
  private static Rate timeUntil(long target, LongSupplier progress) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    long firstCount = -1;
    long firstNanos = 0;
    long firstCpu = 0;
    while (true) {
      long now = System.nanoTime();
      long count = progress.getAsLong();
      if (firstCount < 0 && count > 0) {
        firstCount = count;
        firstNanos = now;
        firstCpu = CPU.getProcessCpuTime();
      }
      if (count >= target) {
        if (count == firstCount) {
          throw new IllegalStateException(
              "everything arrived between two samples: use more events");
        }
        long events = count - firstCount;
        return new Rate(events / ((now - firstNanos) / 1e9),
            (CPU.getProcessCpuTime() - firstCpu) / 1e3 / events);
      }
      if (now > deadline) {
        throw new IllegalStateException("only " + count + " of " + target + " within " + WAIT);
      }
      LockSupport.parkNanos(SAMPLE_NANOS);
    }
  }

  private Topics freshTopics() {
    Topics topics = new Topics("bench-" + UUID.randomUUID().toString().substring(0, 8) + ".");
    KafkaTopicsAdmin.singleBroker().ensureTopics(kafka.bootstrapServers(), topics);
    return topics;
  }

  private void deleteTopics(Topics topics) {
    try (Admin admin = Admin.create(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin.deleteTopics(topics.names()).all().get(1, TimeUnit.MINUTES);
    } catch (Exception e) {
      System.err.println("could not delete the round's topics: " + e.getMessage());
    }
  }

  /** How many records a topic holds: the sum of its partitions' end offsets. */
  private final class EndOffsets implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions;

    EndOffsets(String topic) {
      consumer = new KafkaConsumer<>(
          Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
          new ByteArrayDeserializer(), new ByteArrayDeserializer());
      partitions = consumer.partitionsFor(topic).stream()
          .map(info -> new TopicPartition(topic, info.partition())).toList();
    }

    long sum() {
      return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private static int positive(String flag, String value) {
    try {
      int parsed = Integer.parseInt(value);
      if (parsed > 0) {
        return parsed;
      }
    } catch (NumberFormatException ignored) {
      // reported below with the flag's name
    }
    throw new IllegalArgumentException(flag + " must be a positive integer, got '" + value + "'");
  }
}
