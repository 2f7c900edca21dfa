package io.distilflux.monitor;

import io.distilflux.pipeline.bench.Stats;
import io.distilflux.monitor.metrics.MonitorMetrics;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunEvent;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.meta.MetaOptimizerBenchmark;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * Prints how many {@link TrainingStep} events per second the monitor's metrics handler
 * processes in-process, handed to the metrics handler directly and through the in-memory bus
 * (median of several rounds after warm-up).
 *
 * <p>Usage: {@code MonitorBenchmark [events] [rounds]}, defaults 200000 and 7.
 */
public final class MonitorBenchmark {

  /** Runs the steps are spread over. */
  private static final int RUNS = 4;

  private MonitorBenchmark() {}

  /** Runs the benchmark; arguments: number of events per round, number of rounds. */
  public static void main(String[] args) {
    int events = args.length > 0 ? parsePositive(args[0], "events") : 200_000;
    int rounds = args.length > 1 ? parsePositive(args[1], "rounds") : 7;
    List<TrainingStep> steps = steps(events);
    double direct = median(rounds, () -> direct(steps));
    System.out.printf("metrics handler: %,.0f steps/s (median of %d rounds of %,d)%n",
        direct, rounds, events);
    double viaBus = median(rounds, () -> throughInMemoryBus(steps));
    System.out.printf("in-memory bus + MonitorService: %,.0f steps/s (median of %d rounds of %,d)%n",
        viaBus, rounds, events);
    double busAlone = median(rounds, () -> busAlone(steps));
    System.out.printf("in-memory bus alone, consume + acknowledge: %,.0f steps/s%n", busAlone);
    System.out.printf("bus + monitor / direct: %.3f, bus + monitor / bus alone: %.3f%n",
        viaBus / direct, viaBus / busAlone);
  }

  /** Events of four runs cycling through the phases, as the trainer would publish them. */
  static List<TrainingStep> steps(int count) {
    List<TrainingStep> steps = new ArrayList<>(count);
    Phase[] phases = Phase.values();
    for (int i = 0; i < count; i++) {
      long step = i / RUNS;
      steps.add(new TrainingStep(Event.CURRENT_SCHEMA_VERSION, "run-" + (i % RUNS), step, 0,
          phases[(int) (step % phases.length)], 0.5 + i * 1e-7, 0.3, 0.2,
          new MetaValues(0.6, 0.4, 2.0), 0.002, 1_700_000_000_000L + step * 2));
    }
    return steps;
  }

  private static double direct(List<TrainingStep> steps) {
    MonitorMetrics metrics =
        new MonitorMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    for (int r = 0; r < RUNS; r++) {
      metrics.runStarted(MetaOptimizerBenchmark.benchmarkRun("run-" + r, steps.size()));
    }
    long start = System.nanoTime();
    for (TrainingStep step : steps) {
      metrics.step(step);
    }
    return steps.size() / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * Publishes the steps to a fresh in-memory bus that a started {@link MonitorService} reads;
   * timed from the first publish until the service has counted every step. Encoding and
   * decoding through the event codec are included.
   */
  private static double throughInMemoryBus(List<TrainingStep> steps) throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Topics topics = Topics.defaults();
    try (InMemoryEventBus bus = new InMemoryEventBus();
        MonitorService service =
            new MonitorService(bus, topics, "benchmark", registry,
                MonitorOptions.defaults().withHttp("127.0.0.1", 0))) {
      List<RunEvent> starts = new ArrayList<>();
      for (int r = 0; r < RUNS; r++) {
        starts.add(MetaOptimizerBenchmark.benchmarkRun("run-" + r, steps.size()));
      }
      bus.publish(topics.runs(), Flux.fromIterable(starts)).blockLast();
      service.start();
      long start = System.nanoTime();
      bus.publish(topics.steps(), Flux.fromIterable(steps)).blockLast();
      long deadline = start + 60_000_000_000L;
      while (countedSteps(registry) < steps.size()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the monitor did not count every step within 60 s");
        }
        Thread.onSpinWait();
      }
      return steps.size() / ((System.nanoTime() - start) / 1e9);
    }
  }

  /** The transport's own ceiling: the same publish with a consumer that only acknowledges. */
  private static double busAlone(List<TrainingStep> steps) {
    Topics topics = Topics.defaults();
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      LongAdder consumed = new LongAdder();
      Disposable consumer =
          bus.consume(topics.steps(), ConsumerOptions.earliest("benchmark"))
              .subscribe(received -> {
                consumed.increment();
                received.acknowledge();
              });
      long start = System.nanoTime();
      bus.publish(topics.steps(), Flux.fromIterable(steps)).blockLast();
      while (consumed.sum() < steps.size()) {
        Thread.onSpinWait();
      }
      double rate = steps.size() / ((System.nanoTime() - start) / 1e9);
      consumer.dispose();
      return rate;
    }
  }

  private static double countedSteps(MeterRegistry registry) {
    return registry.find("distilflux.steps").counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }

  interface Round {
    double eventsPerSecond() throws Exception;
  }

  static double median(int rounds, Round round) {
    try {
      round.eventsPerSecond(); // warm-up: JIT and class loading
      double[] rates = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        rates[r] = round.eventsPerSecond();
      }
      return Stats.median(rates);
    } catch (Exception e) {
      throw new IllegalStateException("benchmark round failed: " + e.getMessage(), e);
    }
  }

  private static int parsePositive(String text, String name) {
    try {
      int value = Integer.parseInt(text);
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(name + " must be a positive integer, got '" + text + "'");
  }
}
