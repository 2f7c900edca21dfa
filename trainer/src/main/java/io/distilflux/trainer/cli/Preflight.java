package io.distilflux.trainer.cli;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.kafka.KafkaConnection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * What an experiment checks before it starts anything (broker, services, ND4J), after its
 * flags have been validated ({@link RunOptions}): the data folder, that the output folder can
 * be written, and that an external cluster answers. Each failure is one {@link IllegalArgumentException}, so the user
 * sees one line within seconds instead of a failure after training.
 */
final class Preflight {

  private final Duration brokerTimeout;

  /** Checks with the default broker timeout. */
  Preflight() {
    this(KafkaConnection.CHECK_TIMEOUT);
  }

  /** Checks that wait at most {@code brokerTimeout} for an external cluster. */
  Preflight(Duration brokerTimeout) {
    this.brokerTimeout = brokerTimeout;
  }

  /** Runs every check of the spec, cheapest first. */
  void check(ExperimentSpec spec) {
    requireDataFolder(spec.base());
    requireWritable(spec.outputDir());
    if (spec.transport() == ExperimentSpec.Transport.KAFKA) {
      // with the credentials of --kafka-config: a secured listener must not look unreachable
      spec.bootstrapServers().ifPresent(servers -> (spec.kafkaConfig().isPresent()
          ? KafkaConnection.withConfigFile(servers, spec.kafkaConfig().get())
          : KafkaConnection.plain(servers)).check(brokerTimeout));
    }
  }

  /** The dataset's folder must exist (the synthetic data and the user's files have none). */
  static void requireDataFolder(RunConfig base) {
    boolean folder = base.dataset() == RunConfig.DatasetKind.CIFAR10
        || base.dataset() == RunConfig.DatasetKind.MNIST;
    if (folder && !Files.isDirectory(Path.of(base.dataDir()))) {
      throw new IllegalArgumentException("--data-dir folder not found: " + base.dataDir()
          + " (" + base.dataset().name().toLowerCase(Locale.ROOT) + ")");
    }
  }

  /** Creates the folder if needed and writes (and removes) a file in it. */
  static void requireWritable(Path folder) {
    try {
      Files.createDirectories(folder);
      Path probe = Files.createTempFile(folder, ".write-check-", ".tmp");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new IllegalArgumentException("--output folder " + folder + " is not writable ("
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
          + ")", e);
    }
  }
}
