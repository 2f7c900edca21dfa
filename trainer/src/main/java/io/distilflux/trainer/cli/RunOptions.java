package io.distilflux.trainer.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The settings of an experiment as flags, shared by {@code run} and {@code experiment}: a
 * picocli mixin whose values, overlaying the {@code --config} file, become an
 * {@link ExperimentSpec}.
 */
final class RunOptions {

  @Option(names = "--config", paramLabel = "FILE",
      description = "Experiment file (YAML or .properties) with the same keys as the long flags; flags override it (default: none).")
  Path config;

  @Option(names = "--dataset", paramLabel = "NAME", description = "synthetic (default), cifar10 or mnist.")
  String dataset;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Folder of the dataset files, CIFAR-10 binary batches or MNIST idx files (default: cifar10 data/cifar-10-batches-bin, mnist data/mnist).")
  String dataDir;

  @Option(names = "--modes", paramLabel = "LIST",
      description = "Comma list of no-distillation, fixed, random, hypergradient, forecast, or all (default).")
  String modes;

  @Option(names = "--seeds", paramLabel = "N", description = "Seeds per mode (default 5).")
  String seeds;

  @Option(names = "--first-seed", paramLabel = "S", description = "First seed; runs use S, S+1, … (default 42).")
  String firstSeed;

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs of student training, image datasets (default: cifar10 100, mnist 10).")
  String epochs;

  @Option(names = "--iterations", paramLabel = "N",
      description = "Full-batch iterations of the synthetic experiment (default 20000).")
  String iterations;

  @Option(names = "--batch-size", paramLabel = "B", description = "Mini-batch size (default: images 128, synthetic the full batch).")
  String batchSize;

  @Option(names = "--teacher", paramLabel = "ARCH", description = "Teacher architecture: logreg, cifar-tiny, mnist-mlp (default: the dataset's, in that order).")
  String teacher;

  @Option(names = "--student", paramLabel = "ARCH",
      description = "Student architecture: logreg, cifar-very-tiny, mnist-mlp-small (default: the dataset's, in that order).")
  String student;

  @Option(names = "--optimizer", paramLabel = "KIND", description = "The student's optimizer, sgd or adam (default: synthetic sgd, images adam).")
  String optimizer;

  @Option(names = "--lr", paramLabel = "γ", description = "The student's learning rate (default: synthetic 0.1, images 1e-3).")
  String lr;

  @Option(names = "--meta-optimizer", paramLabel = "KIND", description = "Meta-optimizer rule: sgd (default) or adam.")
  String metaOptimizer;

  @Option(names = "--meta-lr", paramLabel = "η", description = "Meta learning rate (default 1.0).")
  String metaLr;

  @Option(names = "--meta-clip", paramLabel = "C", description = "Clip of each hypergradient component (default 1).")
  String metaClip;

  @Option(names = "--mini-epoch", paramLabel = "E", description = "Steps per mini-epoch, ≥ 2 (default: synthetic 100, images 10).")
  String miniEpoch;

  @Option(names = "--forecast-every", paramLabel = "n",
      description = "Mini-epochs per period, ≥ 2: one hypergradient, n − 1 forecast (default 2).")
  String forecastEvery;

  @Option(names = "--lambda2", paramLabel = "λ2", description = "λ2 of the fixed mode, in [0, 1]; λ1 = 1 − λ2 (default 0.9914).")
  String lambda2;

  @Option(names = "--temperature", paramLabel = "T", description = "T of the fixed mode, in [0.1, 10] (default 6.5).")
  String temperature;

  @Option(names = "--temperature-squared", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
      description = "Multiply the distillation term by T² (Hinton); off by default, as in the paper.")
  String temperatureSquared;

  @Option(names = "--evaluate-every", paramLabel = "K", description = "Evaluate every K steps and at the end (default: synthetic 1000, cifar10 79, mnist 100).")
  String evaluateEvery;

  @Option(names = "--max-staleness", paramLabel = "K",
      description = "Let training run up to K steps ahead of the meta-optimizer (default 0: wait).")
  String maxStaleness;

  @Option(names = "--validation-is-test", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
      description = "Use the test set as validation set, as the paper did on the synthetic data (default false).")
  String validationIsTest;

  @Option(names = "--data-seed", paramLabel = "D",
      description = "Synthetic: draw the data set with numpy's legacy generator seeded D, in the reference notebook's order, one data set for every seed (seeds are then restarts: initial weights and starting λ). Default: each seed draws its own data set.")
  String dataSeed;

  @Option(names = "--divergence", paramLabel = "KIND",
      description = "Distillation term: forward (default, the paper's CE(teacher, student)) or reverse (KL(student ‖ teacher), the reference code's).")
  String divergence;

  @Option(names = "--protocol", paramLabel = "NAME",
      description = "paper: the reference notebook's synthetic protocol (data seed 42, restarts 0..9, Adam 1e-3, validation = test, E=10, n=2, reverse, normalized η=10); flags override its values (default: none, each flag's own default).")
  String protocol;

  @Option(names = "--transport", paramLabel = "KIND", description = "kafka (default) or direct (in-memory, no broker).")
  String transport;

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
      description = "External Kafka cluster (default: none, an embedded broker is started).")
  String bootstrapServers;

  @Option(names = "--kafka-config", paramLabel = "FILE",
      description = "Kafka client properties of the --bootstrap-servers cluster for every "
          + "producer, consumer and admin client (security.protocol, sasl.*, ssl.*; default: none, plaintext).")
  String kafkaConfig;

  @Option(names = "--meter-retention", paramLabel = "SECONDS",
      description = "How long a finished run's meters stay on /metrics (default 600).")
  String meterRetention;

  @Option(names = "--kafka-dir", paramLabel = "DIR",
      description = "Log folder of the embedded broker, kept so recorded runs survive (default: temporary).")
  String kafkaDir;

  @Option(names = "--topic-prefix", paramLabel = "P", description = "Prefix of every topic (default distilflux.).")
  String topicPrefix;

  @Option(names = "--output", paramLabel = "DIR", description = "Results and teacher cache folder (default runs).")
  String output;

  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "Port of the /metrics and /health endpoint (default 9464; 0: any free port).")
  String metricsPort;

  @Option(names = "--services", paramLabel = "WHERE",
      description = "in-process (default): meta-optimizer and monitor in this process; external: "
          + "they run as their own services on the --bootstrap-servers cluster.")
  String services;

  @Option(names = "--meta-timeout", paramLabel = "SECONDS",
      description = "How long a run waits for an update or a forecast before it fails (default 60).")
  String metaTimeout;

  @Option(names = "--parallel", paramLabel = "N", description = "Runs trained at once (default: every run of the experiment, at most 64, for a small student whose runs mostly wait on the bus; the number of cores otherwise). At most as many compute at once as there are cores; a run waiting for its update holds none.")
  String parallel;

  @Option(names = "--compute-threads", paramLabel = "N",
      description = "Threads of one run's student step (native-ops students use at most 2; the numbers never depend on it). Default: the cores divided between the runs trained at once.")
  String computeThreads;

  @Option(names = "--teacher-epochs", paramLabel = "N", description = "Epochs of teacher training, image datasets (default: cifar10 30, mnist 5).")
  String teacherEpochs;

  @Option(names = "--teacher-steps", paramLabel = "N",
      description = "Full-batch Adam steps of the synthetic teacher (default 10000, the reference's; fewer for quick runs).")
  String teacherSteps;

  @Option(names = "--train-size", paramLabel = "N", description = "Student training examples (default: the dataset's).")
  String trainSize;

  @Option(names = "--validation-size", paramLabel = "N", description = "Validation examples (default: the dataset's).")
  String validationSize;

  @Option(names = "--test-size", paramLabel = "N", description = "Test examples (default: the dataset's).")
  String testSize;

  @Option(names = "--checkpoint-every", paramLabel = "N",
      description = "Checkpoint every N steps and at the end, under OUTPUT/checkpoints/<run id>/ (default 1000; 0: off).")
  String checkpointEvery;

  @Option(names = "--keep-checkpoints", paramLabel = "K", description = "Checkpoints kept per run, the newest (default 3).")
  String keepCheckpoints;

  @Option(names = "--resume", paramLabel = "DIR",
      description = "Continue the run of this checkpoint folder (OUTPUT/checkpoints/<run id>) under the same run id; the run's settings come from the checkpoint (default: none, a new run).")
  String resume;

  @Option(names = "--on-meta-timeout", paramLabel = "ACTION",
      description = "fail (default): a late update or forecast ends the run; hold: train on with the last λ.")
  String onMetaTimeout;

  @Option(names = "--final-scrape-wait", paramLabel = "SECONDS",
      description = "Keep /metrics up this long after the last run ends, or until it is scraped once more (default 15; 0: close at once).")
  String finalScrapeWait;

  @Option(names = "--reclaim-every", paramLabel = "SECONDS",
      description = "Collect garbage every SECONDS while runs train, so the native memory of dead ND4J arrays is freed and the heap shrinks (default 30; 0: never).")
  String reclaimEvery;

  /** The settings given on the command line, keyed like the configuration file. */
  Map<String, String> flags() {
    Map<String, String> flags = new LinkedHashMap<>();
    put(flags, "dataset", dataset);
    put(flags, "data-dir", dataDir);
    put(flags, "modes", modes);
    put(flags, "seeds", seeds);
    put(flags, "first-seed", firstSeed);
    put(flags, "epochs", epochs);
    put(flags, "iterations", iterations);
    put(flags, "batch-size", batchSize);
    put(flags, "teacher", teacher);
    put(flags, "student", student);
    put(flags, "optimizer", optimizer);
    put(flags, "lr", lr);
    put(flags, "meta-optimizer", metaOptimizer);
    put(flags, "meta-lr", metaLr);
    put(flags, "meta-clip", metaClip);
    put(flags, "mini-epoch", miniEpoch);
    put(flags, "forecast-every", forecastEvery);
    put(flags, "lambda2", lambda2);
    put(flags, "temperature", temperature);
    put(flags, "temperature-squared", temperatureSquared);
    put(flags, "evaluate-every", evaluateEvery);
    put(flags, "max-staleness", maxStaleness);
    put(flags, "validation-is-test", validationIsTest);
    put(flags, "transport", transport);
    put(flags, "bootstrap-servers", bootstrapServers);
    put(flags, "kafka-dir", kafkaDir);
    put(flags, "kafka-config", kafkaConfig);
    put(flags, "meter-retention", meterRetention);
    put(flags, "topic-prefix", topicPrefix);
    put(flags, "output", output);
    put(flags, "metrics-port", metricsPort);
    put(flags, "services", services);
    put(flags, "meta-timeout", metaTimeout);
    put(flags, "parallel", parallel);
    put(flags, "compute-threads", computeThreads);
    put(flags, "teacher-epochs", teacherEpochs);
    put(flags, "teacher-steps", teacherSteps);
    put(flags, "train-size", trainSize);
    put(flags, "validation-size", validationSize);
    put(flags, "test-size", testSize);
    put(flags, "checkpoint-every", checkpointEvery);
    put(flags, "keep-checkpoints", keepCheckpoints);
    put(flags, "resume", resume);
    put(flags, "on-meta-timeout", onMetaTimeout);
    put(flags, "data-seed", dataSeed);
    put(flags, "divergence", divergence);
    put(flags, "protocol", protocol);
    put(flags, "final-scrape-wait", finalScrapeWait);
    put(flags, "reclaim-every", reclaimEvery);
    return flags;
  }

  private static void put(Map<String, String> into, String key, String value) {
    if (value != null) {
      into.put(key, value);
    }
  }

  /** The experiment: the file's settings overlaid by the flags, validated. */
  ExperimentSpec spec() {
    return SpecParser.parse(settings());
  }

  /** The file's settings overlaid by the flags, not yet validated. */
  Map<String, String> settings() {
    Map<String, String> settings = new LinkedHashMap<>();
    if (config != null) {
      settings.putAll(ConfigFile.read(config));
    }
    settings.putAll(flags());
    return settings;
  }
}
