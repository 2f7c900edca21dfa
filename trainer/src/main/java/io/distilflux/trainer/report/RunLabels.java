package io.distilflux.trainer.report;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.Mode;
import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.function.Function;

/**
 * How runs are grouped in tables and charts: by mode, and forecast runs also by their schedule
 * (E, n) when an experiment holds forecast runs with more than one schedule.
 */
public final class RunLabels {

  private RunLabels() {}

  /** The group label of each configuration among {@code configs}. */
  public static Function<RunConfig, String> labeller(Collection<RunConfig> configs) {
    long schedules = configs.stream()
        .filter(c -> c.mode() == Mode.FORECAST)
        .map(RunLabels::schedule)
        .distinct()
        .count();
    return config -> config.mode() == Mode.FORECAST && schedules > 1
        ? config.mode().cliName() + " " + schedule(config)
        : config.mode().cliName();
  }

  /** The schedule of a run, {@code E=100 n=2}. */
  public static String schedule(RunConfig config) {
    return String.format(Locale.ROOT, "E=%d n=%d", config.miniEpoch(), config.forecastEvery());
  }

  /** Mode order of docs/method.md §5, then E, then n. */
  public static Comparator<RunConfig> order() {
    return Comparator.<RunConfig>comparingInt(c -> c.mode().ordinal())
        .thenComparingInt(RunConfig::miniEpoch)
        .thenComparingInt(RunConfig::forecastEvery);
  }
}
