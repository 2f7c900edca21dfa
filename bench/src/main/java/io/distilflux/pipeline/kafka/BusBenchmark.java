package io.distilflux.pipeline.kafka;

import io.distilflux.pipeline.bench.Stats;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.TrainingStep;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Measures the Kafka transport on loopback with the embedded broker: broker start-up time,
 * produce→consume latency of single step events, and step events per second through one topic.
 *
 * <p>Arguments (all optional): {@code startups=3 roundTrips=1000 events=200000}.
 */
public final class BusBenchmark {

  private static final Duration WAIT = Duration.ofMinutes(5);

  private BusBenchmark() {}

  /** Runs the benchmark and prints its figures. */
  public static void main(String[] args) throws Exception {
    int startups = intArg(args, "startups", 3);
    int roundTrips = intArg(args, "roundTrips", 1000);
    int events = intArg(args, "events", 200_000);

    double[] startSeconds = new double[startups];
    for (int i = 0; i < startups; i++) {
      try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
        startSeconds[i] = kafka.startupTime().toNanos() / 1e9;
      }
    }
    System.out.printf(Locale.ROOT, "embedded broker start-up: median %.2f s (min %.2f, max %.2f, n=%d)%n",
        Stats.median(startSeconds), Stats.min(startSeconds), Stats.max(startSeconds), startups);

    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Topics topics = new Topics("bench" + UUID.randomUUID().toString().substring(0, 8) + ".");
      KafkaTopicsAdmin.singleBroker().ensureTopics(kafka.bootstrapServers(), topics);
      latency(kafka, topics, roundTrips);
      rawProducer(kafka, topics, events);
      throughput(kafka, topics, events);
    }
  }

  private static void latency(EmbeddedKafka kafka, Topics topics, int roundTrips) throws Exception {
    // no linger, even on the background steps topic: a lone event is sent at once, which is
    // what latency is about
    KafkaBusSettings settings = KafkaBusSettings.defaults()
        .withLinger(Duration.ZERO).withBackgroundLinger(Duration.ZERO);
    try (KafkaEventBus bus = KafkaEventBus.connect(kafka.bootstrapServers(), topics, settings, l -> {})) {
      BlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
      Disposable consumer =
          bus.consume(topics.steps(), ConsumerOptions.earliest("latency-" + UUID.randomUUID()))
              .subscribe(r -> {
                arrivals.add(System.nanoTime());
                r.acknowledge();
              });
      // warm-up until the consumer is assigned and has read one record
      bus.publish(topics.steps(), Flux.just(step("warm", 0))).blockLast(WAIT);
      if (arrivals.poll(WAIT.toSeconds(), TimeUnit.SECONDS) == null) {
        throw new IllegalStateException("latency consumer never received the warm-up event");
      }
      double[] millis = new double[roundTrips];
      for (int i = 0; i < roundTrips; i++) {
        long sent = System.nanoTime();
        bus.publish(topics.steps(), Mono.just(step("latency", i)).flux()).blockLast(WAIT);
        Long arrived = arrivals.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        if (arrived == null) {
          throw new IllegalStateException("round trip " + i + " never arrived");
        }
        millis[i] = (arrived - sent) / 1e6;
      }
      consumer.dispose();
      System.out.printf(Locale.ROOT,
          "produce->consume latency, one step event, loopback: median %.2f ms, p99 %.2f ms (n=%d)%n",
          Stats.median(millis), Stats.percentile(millis, 0.99), roundTrips);
    }
  }

  private static void throughput(EmbeddedKafka kafka, Topics topics, int events) throws Exception {
    try (KafkaEventBus bus = KafkaEventBus.connect(kafka.bootstrapServers(), topics)) {
      // a fresh topic prefix's steps topic already holds the latency events: use a run filter
      String run = "throughput-" + UUID.randomUUID();
      CountDownLatch done = new CountDownLatch(events);
      Disposable consumer =
          bus.consume(topics.steps(), ConsumerOptions.latest("tp-" + UUID.randomUUID()).forRun(run))
              .subscribe(r -> {
                r.acknowledge();
                done.countDown();
              });
      Thread.sleep(3000); // let the latest-offset consumer join before the first event
      long start = System.nanoTime();
      bus.publish(topics.steps(), Flux.range(0, events).map(i -> step(run, i))).blockLast(WAIT);
      double publishSeconds = (System.nanoTime() - start) / 1e9;
      if (!done.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException(done.getCount() + " events never arrived");
      }
      double endToEndSeconds = (System.nanoTime() - start) / 1e9;
      consumer.dispose();
      System.out.printf(Locale.ROOT,
          "throughput, %d step events, one topic: published (acks=all) %.0f events/s, "
              + "published and consumed %.0f events/s%n",
          events, events / publishSeconds, events / endToEndSeconds);
    }
  }

  /** Baseline: the same records through a bare idempotent producer, no Reactor, no consumer. */
  private static void rawProducer(EmbeddedKafka kafka, Topics topics, int events) throws Exception {
    java.util.Map<String, Object> config = new java.util.HashMap<>();
    config.put("bootstrap.servers", kafka.bootstrapServers());
    config.put("enable.idempotence", true);
    config.put("acks", "all");
    config.put("linger.ms", 2);
    try (var producer =
        new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(
            config, new org.apache.kafka.common.serialization.StringSerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      String run = "raw-" + UUID.randomUUID();
      long start = System.nanoTime();
      for (int i = 0; i < events; i++) {
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
            topics.steps().topic(), run, io.distilflux.pipeline.EventCodec.encode(step(run, i))));
      }
      producer.flush();
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(Locale.ROOT,
          "baseline, bare KafkaProducer (acks=all), %d step events: %.0f events/s%n",
          events, events / seconds);
    }
  }

  private static TrainingStep step(String run, long i) {
    return new TrainingStep(Event.CURRENT_SCHEMA_VERSION, run, i, 0, Phase.HYPERGRADIENT,
        1.25, 1.0, 0.25, new MetaValues(0.6, 0.4, 3.5), 0.012, System.currentTimeMillis());
  }

  private static int intArg(String[] args, String name, int fallback) {
    for (String arg : args) {
      if (arg.startsWith(name + "=")) {
        String value = arg.substring(name.length() + 1);
        try {
          int parsed = Integer.parseInt(value);
          if (parsed < 1) {
            throw new NumberFormatException();
          }
          return parsed;
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "argument " + name + " must be a positive integer, got '" + value + "'");
        }
      }
    }
    return fallback;
  }
}
