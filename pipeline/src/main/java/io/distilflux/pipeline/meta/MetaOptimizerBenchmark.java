package io.distilflux.pipeline.meta;

import io.distilflux.pipeline.bench.Stats;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import reactor.core.publisher.Flux;

/**
 * Prints meta-optimizer throughput in updates per second (median of repeats): the pure
 * {@link MetaUpdateRule} for SGD and Adam, and the whole {@link MetaOptimizerService} through
 * the in-memory bus (publish hypergradients, receive every MetaParams), with the JSON codec's
 * round-trip rate for context.
 *
 * <p>Flags: {@code --updates N} pure-rule updates per repeat (default 2 000 000), {@code --runs
 * R} and {@code --steps S} hypergradients per run for the bus measurement (default 100 × 1 000),
 * {@code --repeats K} (default 5).
 */
public final class MetaOptimizerBenchmark {

  private MetaOptimizerBenchmark() {}

  /** Runs the benchmark; see the class comment for the flags. */
  public static void main(String[] args) {
    long updates = 2_000_000;
    int runs = 100;
    int steps = 1_000;
    int repeats = 5;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("flag " + flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--updates" -> updates = positive(flag, value);
        case "--runs" -> runs = (int) positive(flag, value);
        case "--steps" -> steps = (int) positive(flag, value);
        case "--repeats" -> repeats = (int) positive(flag, value);
        default -> throw new IllegalArgumentException(
            "unknown flag " + flag + " (known: --updates, --runs, --steps, --repeats)");
      }
    }
    for (OptimizerKind kind : OptimizerKind.values()) {
      double[] rates = new double[repeats];
      pureRule(kind, updates); // warm-up
      for (int r = 0; r < repeats; r++) {
        rates[r] = pureRule(kind, updates);
      }
      System.out.printf(
          "pure rule %-4s: median %,.0f updates/s over %d repeats of %,d%n",
          kind, Stats.median(rates), repeats, updates);
    }
    double[] codec = new double[repeats];
    codecRoundTrips(updates / 20); // warm-up
    for (int r = 0; r < repeats; r++) {
      codec[r] = codecRoundTrips(updates / 20);
    }
    // Each update through a bus costs about five codec passes (encode and decode of the
    // hypergradient, encode of the MetaParams, decode by the state feed and by the reader).
    System.out.printf(
        "JSON codec (context): median %,.0f HyperGradient encode+decode round trips/s%n",
        Stats.median(codec));
    double[] rates = new double[repeats];
    throughBus(runs, Math.min(steps, 100)); // warm-up
    for (int r = 0; r < repeats; r++) {
      rates[r] = throughBus(runs, steps);
    }
    double bus = Stats.median(rates);
    System.out.printf(
        "service via in-memory bus (SGD): median %,.0f updates/s over %d repeats of %d runs x %d"
            + " steps; target 50,000/s: %.2fx%n",
        bus, repeats, runs, steps, bus / 50_000.0);
  }

  private static double pureRule(OptimizerKind kind, long updates) {
    MetaUpdateRule rule = new MetaUpdateRule(kind, 0.01, 1.0);
    SplittableRandom random = new SplittableRandom(1);
    Unconstrained[] gradients = new Unconstrained[1024];
    for (int i = 0; i < gradients.length; i++) {
      gradients[i] = new Unconstrained(
          random.nextDouble(-2, 2), random.nextDouble(-2, 2), random.nextDouble(-2, 2));
    }
    Unconstrained b = new Unconstrained(0, 0, -1);
    long start = System.nanoTime();
    for (long i = 0; i < updates; i++) {
      b = rule.step(b, gradients[(int) (i & 1023)], 1.0);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (!b.isFinite()) {
      throw new IllegalStateException("benchmark diverged: " + b);
    }
    return updates / seconds;
  }

  private static double codecRoundTrips(long count) {
    HyperGradient sample =
        new HyperGradient(
            Event.CURRENT_SCHEMA_VERSION, "run-0", 1, new Unconstrained(0.1, 0.2, -1),
            new Unconstrained(0.3, -0.2, 0.1), 1, 0.01);
    long start = System.nanoTime();
    long checksum = 0;
    for (long i = 0; i < count; i++) {
      checksum += EventCodec.decode(EventCodec.encode(sample), HyperGradient.class).step();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (checksum != count) {
      throw new IllegalStateException("codec round trip changed the event");
    }
    return count / seconds;
  }

  private static double throughBus(int runs, int steps) {
    Topics topics = Topics.defaults();
    try (EventBus bus = new InMemoryEventBus();
        MetaOptimizerService service =
            new MetaOptimizerService(
                bus,
                topics,
                "bench",
                MetaOptimizerSettings.defaults())) {
      service.start();
      List<HyperGradient> inputs = new ArrayList<>(runs * steps);
      Unconstrained at = new Unconstrained(0.1, 0.2, -1);
      Unconstrained g = new Unconstrained(0.3, -0.2, 0.1);
      for (int t = 0; t < steps; t++) {
        for (int r = 0; r < runs; r++) {
          inputs.add(new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "run-" + r, t, at, g, 1, 0.01));
        }
      }
      int total = inputs.size();
      long start = System.nanoTime();
      bus.publish(topics.hyperGradients(), Flux.fromIterable(inputs)).blockLast();
      Long received =
          bus.consume(topics.metaParams(), ConsumerOptions.earliest("bench-reader"))
              .take(total)
              .count()
              .block(Duration.ofMinutes(5));
      double seconds = (System.nanoTime() - start) / 1e9;
      if (received == null || received != total || service.stats().updates() != total) {
        throw new IllegalStateException(
            "expected " + total + " updates, got " + received + " / " + service.stats());
      }
      return total / seconds;
    }
  }

  private static long positive(String flag, String value) {
    try {
      long parsed = Long.parseLong(value);
      if (parsed > 0) {
        return parsed;
      }
    } catch (NumberFormatException ignored) {
      // reported below with the flag name
    }
    throw new IllegalArgumentException(flag + " must be a positive integer, got '" + value + "'");
  }
}
