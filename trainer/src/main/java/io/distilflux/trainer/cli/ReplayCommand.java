package io.distilflux.trainer.cli;

import io.distilflux.monitor.MonitorOptions;
import io.distilflux.monitor.replay.ForecastWhatIf;
import io.distilflux.monitor.replay.ReplaySpeed;
import io.distilflux.monitor.replay.RunReplay;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.record.KafkaRunReader;
import io.distilflux.pipeline.record.RecordedRun;
import io.distilflux.pipeline.record.RunArchive;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code distilflux replay}: a recorded run re-driven through a monitor of its own, or the
 * what-if of the trajectory predictor with other E and n.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
      "Re-drives a recorded run through a monitor in this process, at any speed.",
      "The run, from Kafka or an exported file, is replayed under a new run id with its own /metrics endpoint: the metrics and the trajectory forecasts are recomputed, and the forecasts compared with the recorded ones. Nothing is written to Kafka. With --mini-epoch or --forecast-every only the trajectory predictor is re-run on the recorded trajectory, and its forecast error is printed."
    })
final class ReplayCommand implements Callable<Integer> {

  /** Where the run comes from. */
  static final class Source {
    @Option(names = "--run", paramLabel = "ID", required = true,
        description = "A run recorded on Kafka (with --bootstrap-servers or --kafka-dir).")
    String runId;

    @Option(names = "--file", paramLabel = "FILE", required = true,
        description = "A run archive written by export.")
    Path file;
  }

  @ArgGroup(exclusive = true, multiplicity = "1") Source source;

  @Mixin ClusterOptions cluster;

  @Option(names = "--speed", paramLabel = "recorded|FACTOR|max", defaultValue = "max",
      description = "recorded pace (from the events' time stamps), a factor of it (10: ten "
          + "times faster), or max: as fast as possible (default ${DEFAULT-VALUE}).")
  String speed;

  @Option(names = "--as", paramLabel = "NEW_RUN_ID",
      description = "Run id of the replay (default ID-replay-<time stamp>).")
  String as;

  @Option(names = "--metrics-host", paramLabel = "HOST", defaultValue = MonitorOptions.DEFAULT_HOST,
      description = "Address of the replay's /metrics endpoint (default ${DEFAULT-VALUE}).")
  String metricsHost;

  @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "9466",
      description = "Port of the replay's /metrics endpoint; 0: any free port "
          + "(default ${DEFAULT-VALUE}: beside the monitor's 9464 and the meta-optimizer's 9465).")
  int metricsPort;

  @Option(names = "--keep-serving",
      description = "Keep serving /metrics after the replay until stopped (Ctrl-C), for scrapes (default false).")
  boolean keepServing;

  @Option(names = "--mini-epoch", paramLabel = "E[,E…]", split = ",",
      description = "What-if: mini-epoch lengths to try (default: the run's).")
  List<Integer> miniEpochs;

  @Option(names = "--forecast-every", paramLabel = "n[,n…]", split = ",",
      description = "What-if: periods to try, in mini-epochs (default: the run's).")
  List<Integer> forecastEvery;

  @Override
  public Integer call() throws InterruptedException {
    if (metricsPort < 0 || metricsPort > 65535) {
      throw new IllegalArgumentException("--metrics-port must be in [0, 65535], got "
          + metricsPort);
    }
    ReplaySpeed pace = ReplaySpeed.parse(speed);
    if (as != null && as.isBlank()) {
      throw new IllegalArgumentException("--as must not be blank");
    }
    boolean whatIf = miniEpochs != null || forecastEvery != null;
    if (whatIf) {
      validate(miniEpochs, "--mini-epoch");
      validate(forecastEvery, "--forecast-every");
    }
    RecordedRun run = load();
    if (whatIf) {
      whatIf(run, System.out);
      return 0;
    }
    String replayId = as != null ? as
        : run.runId() + "-replay-" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    UntilStopped stop = keepServing ? new UntilStopped("replay") : null;
    try (RunReplay replay = RunReplay.start(registry, metricsHost, metricsPort)) {
      System.out.printf(Locale.ROOT, "replaying run %s as %s at speed %s; metrics on "
          + "http://%s:%d/metrics%n", run.runId(), replayId, pace, metricsHost, replay.port());
      RunReplay.Result result = replay.replay(run, replayId, pace);
      System.out.printf(Locale.ROOT, "replayed %d events (%d steps) in %.2f s: %.0f events/s, "
              + "%.0f steps/s%n", result.events(), result.steps(),
          result.wall().toNanos() / 1e9, result.eventsPerSecond(), result.stepsPerSecond());
      List<Long> mismatches = result.forecastMismatches();
      int recorded = result.recordedForecasts().size();
      if (mismatches.isEmpty()) {
        System.out.printf(Locale.ROOT, "forecasts: %d recomputed, %s%n",
            result.replayedForecasts().size(), recorded == 0 ? "none recorded"
                : "all identical to the recorded ones (slopes and intercepts bit for bit)");
      } else {
        System.out.printf(Locale.ROOT, "forecasts: %d recomputed, %d recorded; periods that "
                + "differ: %s%n", result.replayedForecasts().size(), recorded, mismatches);
      }
      if (stop != null) {
        System.out.println("serving http://" + metricsHost + ":" + replay.port()
            + "/metrics until stopped (Ctrl-C)");
        stop.await();
      }
      return mismatches.isEmpty() ? 0 : 1;
    } finally {
      if (stop != null) {
        stop.closed();
      }
    }
  }

  private RecordedRun load() {
    if (source.file != null) {
      if (cluster.bootstrapServers != null || cluster.kafkaDir != null) {
        throw new IllegalArgumentException(
            "--bootstrap-servers and --kafka-dir go with --run, not with --file");
      }
      return RunArchive.read(source.file);
    }
    try (ClusterOptions.Cluster kafka = cluster.open(false, System.err);
        KafkaRunReader reader = KafkaRunReader.connect(kafka.connection(), kafka.topics())) {
      return reader.read(source.runId);
    }
  }

  private static void validate(List<Integer> values, String flag) {
    if (values != null) {
      for (int value : values) {
        if (value < 2) {
          throw new IllegalArgumentException(flag + " must be >= 2, got " + value);
        }
      }
    }
  }

  private void whatIf(RecordedRun run, PrintStream out) {
    Optional<RunConfig> config = run.started().map(s -> s.config());
    List<Integer> es = miniEpochs != null ? miniEpochs : config.map(c -> List.of(c.miniEpoch()))
        .orElseThrow(() -> new IllegalArgumentException("run " + run.runId()
            + " has no recorded configuration: give --mini-epoch"));
    List<Integer> ns = forecastEvery != null ? forecastEvery
        : config.map(c -> List.of(c.forecastEvery())).orElseThrow(() ->
            new IllegalArgumentException("run " + run.runId()
                + " has no recorded configuration: give --forecast-every"));
    out.printf(Locale.ROOT, "what-if on run %s (%s, recorded E = %s, n = %s; %d hypergradient "
            + "points): forecast error against the recorded trajectory%n", run.runId(),
        config.map(c -> c.mode().cliName()).orElse("?"),
        config.map(c -> Integer.toString(c.miniEpoch())).orElse("?"),
        config.map(c -> Integer.toString(c.forecastEvery())).orElse("?"),
        run.eventsOf(HyperGradient.class).size());
    String format = "%6s %4s %6s %8s %8s %9s | %10s %10s %10s | %10s %10s %10s | %10s %10s %10s"
        + " | %10s %10s %10s%n";
    out.printf(Locale.ROOT, format, "E", "n", "saved", "periods", "skipped", "compared",
        "rms Δb1", "rms Δb2", "rms Δb3", "max|Δb1|", "max|Δb2|", "max|Δb3|",
        "rms Δλ1", "rms Δλ2", "rms ΔT", "max|Δλ1|", "max|Δλ2|", "max|ΔT|");
    for (int e : es) {
      for (int n : ns) {
        ForecastWhatIf.Error error = ForecastWhatIf.evaluate(run, e, n);
        boolean own = config.map(c -> c.miniEpoch() == e && c.forecastEvery() == n)
            .orElse(false);
        out.printf(Locale.ROOT, format, (own ? "*" : "") + e, n,
            String.format(Locale.ROOT, "%.0f%%", 100 * error.savedShare()), error.periods(),
            error.skippedPeriods(), error.comparedSteps(),
            g(error.rmsB()[0]), g(error.rmsB()[1]), g(error.rmsB()[2]),
            g(error.maxB()[0]), g(error.maxB()[1]), g(error.maxB()[2]),
            g(error.rmsLambda()[0]), g(error.rmsLambda()[1]), g(error.rmsLambda()[2]),
            g(error.maxLambda()[0]), g(error.maxLambda()[1]), g(error.maxLambda()[2]));
      }
    }
    out.println("saved: share of hypergradient steps the forecast replaces, (n - 1)/n; "
        + "skipped: periods with no recorded hypergradient to fit; * the run's own E and n");
  }

  private static String g(double value) {
    return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.3g", value);
  }
}
