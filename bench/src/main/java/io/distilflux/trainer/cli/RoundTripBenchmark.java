package io.distilflux.trainer.cli;

import io.distilflux.pipeline.EventRouter;
import io.distilflux.pipeline.bench.Stats;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.kafka.EmbeddedKafka;
import io.distilflux.trainer.run.MetaFeed;
import io.distilflux.trainer.run.MetaPoint;
import io.distilflux.trainer.run.StreamedMetaSource;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.SynchronousSink;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Benchmark of the meta round trip alone: K runs in flight at once, each doing hypergradient
 * steps with no compute, through the same path as a {@code hypergradient} run of {@code
 * distilflux run} (the in-process meta-optimizer and monitor, the trainer's
 * {@link StreamedMetaSource}s on one {@link MetaFeed}, a {@link TrainingStep} and a {@link HyperGradient} per step through
 * the {@link EventRouter}). Prints, per K, the round trips per second of all runs together, the
 * per-run round-trip latency (median, p90, p99), the process CPU per round trip and, on the
 * embedded broker, the broker requests per round trip: what the Kafka transport costs a
 * latency-bound run, apart from its compute.
 *
 * <p>Usage: {@code RoundTripBenchmark [--in-flight 1,5,10] [--steps 2000] [--warmup-steps 500]
 * [run flags…]}, e.g. {@code --transport direct} for the in-memory bus. Each K first runs
 * {@code --warmup-steps} steps per run uncounted, then {@code --steps} counted.
 */
public final class RoundTripBenchmark {

  private RoundTripBenchmark() {}

  /** Runs the benchmark and prints one line per number of runs in flight. */
  public static void main(String[] args) {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    List<Integer> inFlight = BenchmarkFlags.take(rest, "--in-flight", "1,5,10").lines()
        .flatMap(l -> Arrays.stream(l.split(","))).map(String::trim).map(Integer::parseInt)
        .toList();
    int steps = Integer.parseInt(BenchmarkFlags.take(rest, "--steps", "2000"));
    int warmupSteps = Integer.parseInt(BenchmarkFlags.take(rest, "--warmup-steps", "500"));
    Map<String, String> flags = new LinkedHashMap<>();
    for (int i = 0; i + 1 < rest.size(); i += 2) {
      flags.put(rest.get(i).replaceFirst("^--", ""), rest.get(i + 1));
    }
    flags.putIfAbsent("metrics-port", "0");
    flags.putIfAbsent("modes", "hypergradient");
    ExperimentSpec spec = RunOptions.parse(flags);
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    try (ServiceStack stack = ServiceStack.start(spec, quiet)) {
      // runs that wait on every update: the meta path answers each record at once
      stack.startMetaOptimizer(spec, java.time.Duration.ZERO);
      EventRouter router = new EventRouter(stack.bus(), stack.topics());
      int batch = 0;
      for (int k : inFlight) {
        Scheduler threads = Schedulers.newBoundedElastic(k, 16, "round-trip");
        try {
          measure(stack, router, spec, k, warmupSteps, "w" + batch, threads);
          long requests = EmbeddedKafka.requestsHandled();
          long cpu = processCpuNanos();
          long begin = System.nanoTime();
          List<double[]> waits = measure(stack, router, spec, k, steps, "c" + batch, threads);
          double seconds = (System.nanoTime() - begin) / 1e9;
          double cpuSeconds = (processCpuNanos() - cpu) / 1e9;
          long brokerRequests = EmbeddedKafka.requestsHandled() - requests;
          double[] all = waits.stream().flatMapToDouble(Arrays::stream).toArray();
          long trips = all.length;
          System.out.printf(Locale.ROOT, "%s, %2d runs in flight: %d round trips in %.2f s:"
                  + " %.0f round trips/s; per run median %.3f ms, p90 %.3f ms, p99 %.3f ms;"
                  + " process CPU %.1f µs per round trip%s%n",
              spec.transport().name().toLowerCase(Locale.ROOT), k, trips, seconds,
              trips / seconds, Stats.median(all) * 1e3, Stats.percentile(all, 0.9) * 1e3,
              Stats.percentile(all, 0.99) * 1e3, cpuSeconds / trips * 1e6,
              spec.transport() == ExperimentSpec.Transport.KAFKA && brokerRequests > 0
                  ? String.format(Locale.ROOT, "; %.2f broker requests per round trip",
                      brokerRequests / (double) trips)
                  : "");
          batch++;
        } finally {
          threads.dispose();
        }
      }
    }
  }

  /** K runs of {@code steps} steps at once; each run's waits for its update, in seconds. */
  private static List<double[]> measure(ServiceStack stack, EventRouter router,
      ExperimentSpec spec, int k, int steps, String tag, Scheduler threads) {
    List<String> runIds = new ArrayList<>();
    for (int r = 0; r < k; r++) {
      runIds.add("round-trip-" + tag + "-" + r + "-" + Long.toString(System.nanoTime(), 36));
    }
    try (MetaFeed feed = new MetaFeed(stack.bus(), stack.topics(), "round-trip-" + tag, runIds)) {
      List<Flux<double[]>> runs = new ArrayList<>();
      for (int r = 0; r < k; r++) {
        RunConfig config = spec.configFor(RunConfig.Mode.HYPERGRADIENT, r, steps);
        String runId = runIds.get(r);
        runs.add(Flux.defer(() -> {
          FakeRun run = new FakeRun(feed, runId, config);
          return router.publish(run.events().subscribeOn(threads, true)).then()
              .thenReturn(run.waits);
        }));
      }
      return Flux.merge(runs).collectList().block(Duration.ofMinutes(30));
    }
  }

  /** A run that computes nothing: each step waits for its update and publishes its events. */
  private static final class FakeRun {
    final String runId;
    final RunConfig config;
    final StreamedMetaSource source;
    final double[] waits;
    long step = -1;

    FakeRun(MetaFeed feed, String runId, RunConfig config) {
      this.runId = runId;
      this.config = config;
      this.source = new StreamedMetaSource(feed, runId, config, config.initial());
      this.waits = new double[(int) config.steps() - 1];
    }

    Flux<Event> events() {
      return Flux.<List<Event>, FakeRun>generate(() -> this, FakeRun::next, FakeRun::close)
          .hide() // events handed on inside next(), before the round ends (as StudentRun)
          .concatMapIterable(list -> list);
    }

    private FakeRun next(SynchronousSink<List<Event>> sink) {
      try {
        if (step < 0) {
          step = 0;
          sink.next(List.of(new RunStarted(Event.CURRENT_SCHEMA_VERSION, runId, config,
              System.currentTimeMillis(), Provenance.current("none"))));
        } else if (step < config.steps()) {
          source.stepStarts(step, true);
          long begin = System.nanoTime();
          MetaPoint point = source.pointFor(step, Duration.ofSeconds(60));
          if (step > 0) {
            waits[(int) step - 1] = (System.nanoTime() - begin) / 1e9;
          }
          Unconstrained gradient = new Unconstrained(1e-3, -1e-3, 1e-4);
          sink.next(List.of(
              new TrainingStep(Event.CURRENT_SCHEMA_VERSION, runId, step, 0, Phase.HYPERGRADIENT,
                  0.5, 0.4, 0.1, point.values(), 0, System.currentTimeMillis()),
              new HyperGradient(Event.CURRENT_SCHEMA_VERSION, runId, step, point.b(), gradient,
                  0.5, config.innerLearningRate())));
          source.hyperGradientSent(step);
          step++;
        } else {
          sink.next(List.of(new RunFinished(Event.CURRENT_SCHEMA_VERSION, runId, step, null,
              step, 0, 0, 0, null, System.currentTimeMillis())));
          sink.complete();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        sink.error(e);
      }
      return this;
    }

    private void close() {
      source.close();
    }
  }


  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun
        ? sun.getProcessCpuTime() : 0;
  }
}
