package io.distilflux.monitor.replay;

import io.distilflux.pipeline.bench.Stats;
import io.distilflux.pipeline.record.RecordedRun;
import io.distilflux.pipeline.record.RunArchive;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Benchmark: replays a generated {@code forecast} run (E = 100, n = 2, all events a real run
 * publishes) at {@code --speed max} through the replay's monitor, and prints the rate.
 *
 * <p>Usage: {@code ReplayBenchmark [steps=100000] [repeats=3] [FILE]}; each repeat is a fresh
 * replay monitor. Prints events/s and steps/s per repeat and their medians. With FILE the
 * generated run is also written there as a run archive (for {@code replay --file}).
 */
public final class ReplayBenchmark {

  private ReplayBenchmark() {}

  /** Runs the benchmark. */
  public static void main(String[] args) {
    long steps = args.length > 0 ? Long.parseLong(args[0]) : 100_000;
    int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    RecordedRun run = SyntheticRecording.randomWalk("generated", steps, 100, 2, 7);
    System.out.printf(Locale.ROOT, "generated run: %d steps, %d events (E = 100, n = 2)%n",
        steps, run.events().size());
    if (args.length > 2) {
      RunArchive.write(Path.of(args[2]), run);
      System.out.println("written to " + args[2]);
    }
    if (repeats < 1) {
      return;
    }
    double[] eventsPerSecond = new double[repeats];
    double[] stepsPerSecond = new double[repeats];
    double[] seconds = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      try (RunReplay replay = RunReplay.start(
          new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), "127.0.0.1", 0)) {
        RunReplay.Result result = replay.replay(run, "bench-replay-" + (r + 1), ReplaySpeed.max());
        if (!result.forecastMismatches().isEmpty()) {
          throw new IllegalStateException("replayed forecasts differ in periods "
              + result.forecastMismatches());
        }
        eventsPerSecond[r] = result.eventsPerSecond();
        stepsPerSecond[r] = result.stepsPerSecond();
        seconds[r] = result.wall().toNanos() / 1e9;
        System.out.printf(Locale.ROOT,
            "repeat %d: %d events in %.2f s, %.0f events/s, %.0f steps/s, %d forecasts identical%n",
            r + 1, result.events(), seconds[r], eventsPerSecond[r], stepsPerSecond[r],
            result.replayedForecasts().size());
      }
    }
    System.out.printf(Locale.ROOT,
        "median over %d repeats: %.2f s per %d-step replay, %.0f events/s, %.0f steps/s%n",
        repeats, Stats.median(seconds), steps, Stats.median(eventsPerSecond), Stats.median(stepsPerSecond));
  }

}
