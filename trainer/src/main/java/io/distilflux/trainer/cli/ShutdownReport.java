package io.distilflux.trainer.cli;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.trainer.run.CheckpointStore;
import io.distilflux.trainer.run.Checkpointing;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What an experiment says when it is stopped (Ctrl-C, SIGTERM) before it has ended: the runs
 * that finished, and for each run in flight its progress, its newest checkpoint and the exact
 * command that resumes it. Installed as a shutdown hook for the life of the experiment; an
 * experiment that ends normally removes it and nothing is printed.
 */
final class ShutdownReport {

  private record Entry(String runId, String label, RunConfig.Mode mode, long totalSteps,
      long stepsDone, String outcome) {}

  private final ExperimentSpec spec;
  private final PrintStream log;
  private final Map<String, Entry> runs = new LinkedHashMap<>();
  private Thread hook;

  ShutdownReport(ExperimentSpec spec, PrintStream log) {
    this.spec = spec;
    this.log = log;
  }

  /** Prints the report when the JVM is stopped before {@link #uninstall()}. */
  synchronized ShutdownReport install() {
    if (hook == null) {
      hook = new Thread(() -> log.print(report()), "distilflux-shutdown-report");
      Runtime.getRuntime().addShutdownHook(hook);
    }
    return this;
  }

  /** The experiment has ended on its own: nothing to report. */
  synchronized void uninstall() {
    if (hook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run; nothing to undo
      }
      hook = null;
    }
  }

  /** A run has started training. */
  synchronized void started(String runId, String label, RunConfig.Mode mode, long totalSteps,
      long firstStep) {
    runs.put(runId, new Entry(runId, label, mode, totalSteps, firstStep, null));
  }

  /** A run has trained {@code stepsDone} steps. */
  synchronized void progressed(String runId, long stepsDone) {
    Entry e = runs.get(runId);
    if (e != null && e.outcome() == null) {
      runs.put(runId, new Entry(e.runId(), e.label(), e.mode(), e.totalSteps(), stepsDone, null));
    }
  }

  /** A run has ended: {@code failure} null when it succeeded. */
  synchronized void finished(String runId, long stepsDone, double testAccuracy, String failure) {
    Entry e = runs.get(runId);
    if (e != null) {
      String outcome = failure != null ? "failed: " + failure
          : Double.isNaN(testAccuracy) ? "finished"
          : String.format(Locale.ROOT, "finished, test accuracy %.4f", testAccuracy);
      runs.put(runId, new Entry(e.runId(), e.label(), e.mode(), e.totalSteps(), stepsDone,
          outcome));
    }
  }

  /** The report as printed on a stop. */
  synchronized String report() {
    StringBuilder out = new StringBuilder();
    List<Entry> finished = new ArrayList<>();
    List<Entry> inFlight = new ArrayList<>();
    for (Entry e : runs.values()) {
      (e.outcome() == null ? inFlight : finished).add(e);
    }
    out.append(String.format(Locale.ROOT, "%ndistilflux: stopped; %d run(s) ended, %d in flight"
        + " (results of ended runs are in %s)%n", finished.size(), inFlight.size(),
        spec.outputDir().resolve("results.csv")));
    for (Entry e : finished) {
      out.append(String.format(Locale.ROOT, "  ended      %s (%s): %s%n", e.label(), e.runId(),
          e.outcome()));
    }
    Checkpointing checkpointing = spec.checkpointing();
    for (Entry e : inFlight) {
      out.append(String.format(Locale.ROOT, "  in flight  %s (%s) at step %d of %d%n", e.label(),
          e.runId(), e.stepsDone(), e.totalSteps()));
      Optional<Path> newest = checkpointing.enabled()
          ? checkpointing.storeFor(e.runId()).latest() : Optional.empty();
      if (newest.isEmpty()) {
        out.append("             no checkpoint written: it cannot be resumed, only run again\n");
        continue;
      }
      out.append(String.format(Locale.ROOT, "             checkpointed at step %d in %s%n",
          CheckpointStore.stepOf(newest.get()), newest.get()));
      if (needsHistory(e.mode()) && !keepsHistory()) {
        out.append("             a ").append(e.mode().cliName()).append(" run resumes with its"
            + " history on the bus, which this broker does not keep (run with --kafka-dir or"
            + " --bootstrap-servers to make it resumable)\n");
        continue;
      }
      out.append("             resume: ").append(resumeCommand(e.runId())).append('\n');
    }
    return out.toString();
  }

  /** The command that continues the run, with this experiment's transport and output flags. */
  String resumeCommand(String runId) {
    List<String> words = new ArrayList<>(List.of(launcher(), "run", "--resume",
        quote(spec.checkpointing().root().resolve(runId).toString())));
    words.add("--output");
    words.add(quote(spec.outputDir().toString()));
    if (spec.transport() == ExperimentSpec.Transport.DIRECT) {
      words.add("--transport");
      words.add("direct");
    }
    spec.bootstrapServers().ifPresent(s -> {
      words.add("--bootstrap-servers");
      words.add(quote(s));
    });
    spec.kafkaDir().ifPresent(d -> {
      words.add("--kafka-dir");
      words.add(quote(d.toString()));
    });
    if (!spec.topicPrefix().equals("distilflux.")) {
      words.add("--topic-prefix");
      words.add(quote(spec.topicPrefix()));
    }
    if (spec.services() == ExperimentSpec.Services.EXTERNAL) {
      words.add("--services");
      words.add("external");
    }
    if (spec.longRun().onMetaTimeout() != io.distilflux.trainer.run.OnMetaTimeout.FAIL) {
      words.add("--on-meta-timeout");
      words.add(spec.longRun().onMetaTimeout().name().toLowerCase(Locale.ROOT));
    }
    words.add("--checkpoint-every");
    words.add(Integer.toString(spec.longRun().checkpointEvery()));
    return String.join(" ", words);
  }

  private boolean keepsHistory() {
    return spec.transport() == ExperimentSpec.Transport.KAFKA
        && (spec.bootstrapServers().isPresent() || spec.kafkaDir().isPresent());
  }

  private static boolean needsHistory(RunConfig.Mode mode) {
    return mode == RunConfig.Mode.HYPERGRADIENT || mode == RunConfig.Mode.FORECAST;
  }

  /** {@code java -jar <this jar>} when running from the jar, else {@code distilflux}. */
  private static String launcher() {
    try {
      Path location = Path.of(Distilflux.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI());
      if (location.toString().endsWith(".jar")) {
        return "java -jar " + quote(location.toString());
      }
    } catch (Exception e) {
      // no code source (unusual class loader): fall back to the command's name
    }
    return "distilflux";
  }

  private static String quote(String word) {
    return word.matches("[A-Za-z0-9_./:,=+@%-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
  }
}
