package io.distilflux.trainer.cli;

import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.DatasetKind;
import io.distilflux.pipeline.event.RunConfig.Mode;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.kafka.KafkaConnection;
import io.distilflux.trainer.memory.NativeMemoryReclaimer;
import io.distilflux.trainer.model.StudentArchitectures;
import io.distilflux.trainer.teacher.TeacherArchitectures;
import io.distilflux.trainer.teacher.TeacherTraining;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import io.distilflux.trainer.run.Checkpointing;
import io.distilflux.trainer.run.OnMetaTimeout;

/**
 * Turns the settings of an experiment (a configuration file overlaid by command-line flags, both
 * as {@code key → text} with the flags' long names as keys) into a validated
 * {@link ExperimentSpec}. Every problem is reported as one line naming the setting.
 */
public final class SpecParser {

  /** Every key a configuration file or flag may set. */
  public static final Set<String> KEYS = Set.of(
      "dataset", "data-dir", "modes", "seeds", "first-seed", "epochs", "iterations", "batch-size",
      "teacher", "student", "optimizer", "lr", "meta-optimizer", "meta-lr", "meta-clip",
      "mini-epoch", "forecast-every", "lambda2", "temperature", "temperature-squared",
      "evaluate-every", "max-staleness", "validation-is-test", "transport", "bootstrap-servers",
      "kafka-dir", "topic-prefix", "output", "metrics-port", "services", "meta-timeout", "parallel", "compute-threads",
      "teacher-epochs", "teacher-steps", "train-size", "validation-size", "test-size",
      "checkpoint-every", "keep-checkpoints", "resume", "on-meta-timeout", "data-seed",
      "divergence", "protocol", "kafka-config", "meter-retention", "final-scrape-wait",
      "reclaim-every");

  /**
   * The protocols {@code --protocol} names: settings that stand in for flags not given.
   * {@code paper} is the reference notebook's synthetic experiment: its data set (numpy seed
   * 42), its ten restarts, Adam 1e-3 for the student, validation on the test set, E = 10, n = 2,
   * the reverse divergence its code computes, and its meta step, which works out to
   * η / ‖v‖² = 10 / ‖v‖² times the hypergradient clipped at 1e4 (its clip of 1 on a
   * hypergradient scaled by 1e-4 / ‖v‖²).
   */
  static final Map<String, Map<String, String>> PROTOCOLS = Map.of("paper", orderedMap(
      "dataset", "synthetic", "data-seed", "42", "first-seed", "0", "seeds", "10",
      "iterations", "20000", "optimizer", "adam", "lr", "0.001", "validation-is-test", "true",
      "mini-epoch", "10", "forecast-every", "2", "divergence", "reverse",
      "meta-optimizer", "normalized", "meta-lr", "10", "meta-clip", "10000"));

  private static Map<String, String> orderedMap(String... keyValues) {
    Map<String, String> map = new java.util.LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      map.put(keyValues[i], keyValues[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(map);
  }

  /**
   * The settings with those of their {@code protocol} filled in where not given, and without
   * the {@code protocol} key; the settings unchanged when they name none.
   *
   * @throws IllegalArgumentException for an unknown protocol
   */
  public static Map<String, String> withProtocol(Map<String, String> settings) {
    String name = settings.get("protocol");
    if (name == null) {
      return settings;
    }
    Map<String, String> protocol = PROTOCOLS.get(name.trim().toLowerCase(Locale.ROOT));
    if (protocol == null) {
      throw bad("protocol", "unknown value '" + name + "' (one of "
          + String.join(", ", PROTOCOLS.keySet()) + ")");
    }
    Map<String, String> resolved = new java.util.LinkedHashMap<>(protocol);
    resolved.putAll(settings);
    resolved.remove("protocol");
    return resolved;
  }

  /** The largest seed (restart number) a run on a {@code --data-seed} data set may have. */
  static final long MAX_RESTART = 1_000_000;

  private final Map<String, String> values;

  private SpecParser(Map<String, String> values) {
    this.values = values;
  }

  /**
   * Parses and validates.
   *
   * @throws IllegalArgumentException with a one-line message naming the offending setting
   */
  public static ExperimentSpec parse(Map<String, String> settings) {
    for (String key : settings.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("unknown setting '" + key + "'");
      }
    }
    return new SpecParser(new HashMap<>(withProtocol(settings))).build();
  }

  private ExperimentSpec build() {
    DatasetKind dataset = enumValue("dataset", DatasetKind.class, "synthetic");
    Defaults d = Defaults.of(dataset);
    String dataDir = text("data-dir", d.dataDir);
    List<Mode> modes = modes();
    int seedCount = integer("seeds", 5, 1, 1000);
    long firstSeed = longValue("first-seed", 42);
    List<Long> seeds = new ArrayList<>();
    for (int i = 0; i < seedCount; i++) {
      seeds.add(firstSeed + i);
    }
    int epochs = integer("epochs", d.epochs, 1, 1_000_000);
    long iterations = longValue("iterations", d.iterations);
    if (iterations < 1) {
      throw bad("iterations", "must be ≥ 1");
    }
    int batchSize = integer("batch-size", d.batchSize, 0, 1_000_000);
    OptimizerKind optimizer = enumValue("optimizer", OptimizerKind.class, d.optimizer);
    if (!optimizer.isInner()) {
      throw bad("optimizer", "'" + optimizer.name().toLowerCase(Locale.ROOT)
          + "' is a meta-optimizer rule (the student's optimizer is sgd or adam)");
    }
    double lr = positive("lr", d.lr);
    OptimizerKind metaOptimizer = enumValue("meta-optimizer", OptimizerKind.class, "sgd");
    double metaLr = positive("meta-lr", d.metaLr);
    double metaClip = positive("meta-clip", 1.0);
    int miniEpoch = integer("mini-epoch", d.miniEpoch, 2, 1_000_000);
    int forecastEvery = integer("forecast-every", 2, 2, 1_000_000);
    double lambda2 = bounded("lambda2", 0.9914, 0, 1);
    double temperature = bounded("temperature", 6.5, Unconstrained.T_MIN, Unconstrained.T_MAX);
    boolean tSquared = bool("temperature-squared", false);
    int evaluateEvery = integer("evaluate-every", d.evaluateEvery, 0, Integer.MAX_VALUE);
    int maxStaleness = integer("max-staleness", 0, 0, 1_000_000);
    boolean validationIsTest = bool("validation-is-test", false);
    RunConfig.Divergence divergence =
        enumValue("divergence", RunConfig.Divergence.class, "forward");
    Long dataSeed = values.containsKey("data-seed") ? longValue("data-seed", 0) : null;
    if (dataSeed != null) {
      if (dataset != DatasetKind.SYNTHETIC) {
        throw bad("data-seed", "applies to the synthetic data only");
      }
      if (dataSeed < 0 || dataSeed > 0xffffffffL) {
        throw bad("data-seed", "must be in [0, 4294967295] (numpy's seeds), got " + dataSeed);
      }
      // with a data set of its own, a seed is a restart: the notebook's restart number
      if (firstSeed < 0 || firstSeed + seedCount - 1 > MAX_RESTART) {
        throw bad("first-seed", "with --data-seed the seeds are restarts 0.." + MAX_RESTART
            + ", got " + firstSeed + ".." + (firstSeed + seedCount - 1));
      }
    }
    ExperimentSpec.Transport transport =
        enumValue("transport", ExperimentSpec.Transport.class, "kafka");
    Optional<String> bootstrap = Optional.ofNullable(values.remove("bootstrap-servers"));
    Optional<Path> kafkaDir = Optional.ofNullable(values.remove("kafka-dir")).map(Path::of);
    if (bootstrap.isPresent() && transport == ExperimentSpec.Transport.DIRECT) {
      throw new IllegalArgumentException(
          "--bootstrap-servers cannot be combined with --transport direct");
    }
    if (bootstrap.isPresent() && kafkaDir.isPresent()) {
      throw new IllegalArgumentException(
          "--kafka-dir is for the embedded broker; it cannot be combined with --bootstrap-servers");
    }
    bootstrap.ifPresent(SpecParser::checkBootstrap);
    Optional<Path> kafkaConfig = Optional.ofNullable(values.remove("kafka-config")).map(Path::of);
    if (kafkaConfig.isPresent()) {
      if (bootstrap.isEmpty()) {
        throw new IllegalArgumentException(
            "--kafka-config goes with --bootstrap-servers; the embedded broker needs none");
      }
      // Read now: a missing file or a reserved property is reported before anything starts.
      KafkaConnection.withConfigFile(bootstrap.get(), kafkaConfig.get());
    }
    Duration meterRetention = Duration.ofMillis(
        (long) (bounded("meter-retention", 600, 0, 1e9) * 1000));
    String topicPrefix = text("topic-prefix", "distilflux.");
    Path output = Path.of(text("output", "runs"));
    int metricsPort = integer("metrics-port", 9464, 0, 65535);
    ExperimentSpec.Services services = enumValue("services", ExperimentSpec.Services.class, "in-process");
    if (services == ExperimentSpec.Services.EXTERNAL && bootstrap.isEmpty()) {
      throw new IllegalArgumentException(
          "--services external needs --bootstrap-servers: the services must reach the same cluster");
    }
    Duration metaTimeout = Duration.ofMillis((long) (positive("meta-timeout", 60) * 1000));
    // 0: chosen from the work when the runs start (ExperimentSpec.parallelRuns(int, long))
    int parallel = values.containsKey("parallel") ? integer("parallel", 1, 1, 256) : 0;
    // 0: chosen from the cores when the runs start (ExperimentSpec.computeThreads(int))
    int computeThreads = values.containsKey("compute-threads")
        ? integer("compute-threads", 1, 1, 256) : 0;
    int teacherEpochs = integer("teacher-epochs", d.teacherEpochs, 1, 100_000);
    int teacherSteps = integer("teacher-steps", TeacherTraining.synthetic().epochs(), 1, 10_000_000);
    ExperimentSpec.SplitSizes splits = new ExperimentSpec.SplitSizes(
        integer("train-size", 0, 0, Integer.MAX_VALUE),
        integer("validation-size", 0, 0, Integer.MAX_VALUE),
        integer("test-size", 0, 0, Integer.MAX_VALUE));
    ExperimentSpec.LongRun longRun = new ExperimentSpec.LongRun(
        integer("checkpoint-every", Checkpointing.DEFAULT_EVERY, 0, Integer.MAX_VALUE),
        integer("keep-checkpoints", Checkpointing.DEFAULT_KEEP, 1, 1_000_000),
        Optional.ofNullable(values.remove("resume")).map(Path::of),
        OnMetaTimeout.parse(text("on-meta-timeout", "fail")),
        Duration.ofMillis(Math.round(bounded("final-scrape-wait",
            ExperimentSpec.LongRun.DEFAULT_FINAL_SCRAPE_WAIT.toSeconds(), 0, 3600) * 1000)),
        Duration.ofMillis(Math.round(bounded("reclaim-every",
            NativeMemoryReclaimer.DEFAULT_PERIOD.toSeconds(), 0, 86_400) * 1000)));
    longRun.resume().ifPresent(folder -> {
      if (!java.nio.file.Files.isDirectory(folder)) {
        throw new IllegalArgumentException("--resume folder not found: " + folder);
      }
    });
    String teacher = architecture("teacher", d.teacher,
        TeacherArchitectures.withDefaults().names());
    String student = architecture("student", d.student,
        StudentArchitectures.withDefaults().names());
    if (!values.isEmpty()) {
      throw new IllegalArgumentException("unused setting '" + values.keySet().iterator().next() + "'");
    }
    MetaValues fixed = new MetaValues(1 - lambda2, lambda2, temperature);
    RunConfig base = new RunConfig(dataset, dataDir, Mode.FORECAST, firstSeed, epochs,
        dataset == DatasetKind.SYNTHETIC ? iterations : 0, batchSize, teacher, student, optimizer,
        lr, metaOptimizer, metaLr, metaClip, miniEpoch, forecastEvery,
        Unconstrained.fromValues(fixed), tSquared, evaluateEvery, maxStaleness, validationIsTest,
        dataSeed, divergence);
    return new ExperimentSpec(base, modes, List.copyOf(seeds), fixed, transport, bootstrap,
        kafkaDir, topicPrefix, output, metricsPort, services, metaTimeout, parallel, computeThreads, teacherEpochs,
        teacherSteps, splits, longRun, kafkaConfig, meterRetention);
  }

  private List<Mode> modes() {
    String raw = values.remove("modes");
    if (raw == null || raw.isBlank() || raw.trim().equalsIgnoreCase("all")) {
      return List.of(Mode.values());
    }
    List<Mode> modes = new ArrayList<>();
    for (String part : raw.split(",")) {
      String name = part.trim();
      Mode mode = Arrays.stream(Mode.values())
          .filter(m -> m.cliName().equalsIgnoreCase(name) || m.name().equalsIgnoreCase(name))
          .findFirst()
          .orElseThrow(() -> bad("modes", "unknown mode '" + name + "' (one of "
              + String.join(", ", Arrays.stream(Mode.values()).map(Mode::cliName).toList())
              + ", all)"));
      if (!modes.contains(mode)) {
        modes.add(mode);
      }
    }
    return List.copyOf(modes);
  }

  private static void checkBootstrap(String servers) {
    for (String server : servers.split(",")) {
      int colon = server.lastIndexOf(':');
      boolean ok = colon > 0 && colon < server.length() - 1;
      if (ok) {
        try {
          int port = Integer.parseInt(server.substring(colon + 1).trim());
          ok = port > 0 && port < 65536;
        } catch (NumberFormatException e) {
          ok = false;
        }
      }
      if (!ok) {
        throw bad("bootstrap-servers", "expects host:port[,host:port…], got '" + servers + "'");
      }
    }
  }

  private String text(String key, String fallback) {
    String value = values.remove(key);
    return value == null ? fallback : value.trim();
  }

  /** A registered architecture's name, checked here so a typo fails before anything starts. */
  private String architecture(String key, String fallback, Set<String> known) {
    String name = text(key, fallback);
    if (!known.contains(name)) {
      throw bad(key, "unknown architecture '" + name + "' (one of " + String.join(", ", known)
          + ")");
    }
    return name;
  }

  private boolean bool(String key, boolean fallback) {
    String value = values.remove(key);
    if (value == null) {
      return fallback;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on" -> true;
      case "false", "no", "off" -> false;
      default -> throw bad(key, "expects true or false, got '" + value + "'");
    };
  }

  private long longValue(String key, long fallback) {
    String value = values.remove(key);
    if (value == null) {
      return fallback;
    }
    try {
      return Long.parseLong(value.trim().replace("_", ""));
    } catch (NumberFormatException e) {
      throw bad(key, "expects an integer, got '" + value + "'");
    }
  }

  private int integer(String key, int fallback, int min, int max) {
    long v = longValue(key, fallback);
    if (v < min || v > max) {
      throw bad(key, "must be in [" + min + ", " + max + "], got " + v);
    }
    return (int) v;
  }

  private double number(String key, double fallback) {
    String value = values.remove(key);
    if (value == null) {
      return fallback;
    }
    try {
      double v = Double.parseDouble(value.trim());
      if (!Double.isFinite(v)) {
        throw bad(key, "must be a finite number, got '" + value + "'");
      }
      return v;
    } catch (NumberFormatException e) {
      throw bad(key, "expects a number, got '" + value + "'");
    }
  }

  private double positive(String key, double fallback) {
    double v = number(key, fallback);
    if (v <= 0) {
      throw bad(key, "must be > 0, got " + v);
    }
    return v;
  }

  private double bounded(String key, double fallback, double min, double max) {
    double v = number(key, fallback);
    if (v < min || v > max) {
      throw bad(key, "must be in [" + min + ", " + max + "], got " + v);
    }
    return v;
  }

  private <T extends Enum<T>> T enumValue(String key, Class<T> type, String fallback) {
    String value = text(key, fallback);
    String normalised = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (T constant : type.getEnumConstants()) {
      if (constant.name().equals(normalised)) {
        return constant;
      }
    }
    throw bad(key, "unknown value '" + value + "' (one of " + String.join(", ",
        Arrays.stream(type.getEnumConstants())
            .map(c -> c.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList()) + ")");
  }

  private static IllegalArgumentException bad(String key, String why) {
    return new IllegalArgumentException("--" + key + " " + why);
  }

  /** Per-dataset defaults, following docs/method.md §5. */
  private record Defaults(String dataDir, int epochs, long iterations, int batchSize,
      String optimizer, double lr, double metaLr, int miniEpoch, int evaluateEvery,
      int teacherEpochs, String teacher, String student) {

    static Defaults of(DatasetKind dataset) {
      return switch (dataset) {
        case SYNTHETIC -> new Defaults("", 1, 20_000, 0, "sgd", 0.1, 1.0, 100, 1000, 1,
            "logreg", "logreg");
        case CIFAR10 -> new Defaults("data/cifar-10-batches-bin", 100, 1, 128, "adam", 1e-3, 1.0,
            10, 79, 30, "cifar-tiny", "cifar-very-tiny");
        case MNIST -> new Defaults("data/mnist", 10, 1, 128, "adam", 1e-3, 1.0, 10, 100, 5,
            "mnist-mlp", "mnist-mlp-small");
      };
    }
  }
}
