package io.distilflux.pipeline.kafka;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.opentest4j.TestAbortedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The Kafka broker of an integration test, chosen by one switch: the system property
 * {@value #SWITCH_PROPERTY} (or the environment variable {@value #SWITCH_ENV}) set to
 * {@code embedded} (the in-process KRaft broker), {@code testcontainers} (the
 * {@value #IMAGE} image through Testcontainers) or {@code auto} (the default: Testcontainers
 * when a Docker engine answers and the container starts in time, else the embedded broker).
 *
 * <p>Nothing here can hang a build: the Docker probe is bounded by
 * {@value #PROBE_SECONDS} s and the container start (image pull included) by
 * {@value #START_TIMEOUT_PROPERTY} (default {@value #DEFAULT_START_SECONDS} s); an engine that
 * cannot pull the image counts as no Docker. When {@code testcontainers} is asked for and
 * cannot be had, {@link #start()} aborts the test ({@link TestAbortedException}), so JUnit
 * reports it skipped.
 */
public final class TestKafka implements AutoCloseable {

  /** The Apache Kafka image the Testcontainers broker runs (the compose file runs the same). */
  public static final String IMAGE = "apache/kafka:4.1.0";
  /** System property of the switch. */
  public static final String SWITCH_PROPERTY = "distilflux.kafka";
  /** Environment variable of the switch, read when the property is not set. */
  public static final String SWITCH_ENV = "DISTILFLUX_KAFKA";
  /** System property bounding the container start, in seconds. */
  public static final String START_TIMEOUT_PROPERTY = "distilflux.kafka.start-timeout";

  static final int PROBE_SECONDS = 10;
  static final int DEFAULT_START_SECONDS = 120;
  private static final Logger LOG = LoggerFactory.getLogger(TestKafka.class);
  /** The answer of the Docker probe, asked once per JVM. */
  private static volatile Boolean dockerAnswered;
  /** Set once a container failed to start in time: later tests do not wait again. */
  private static volatile String containerFailure;

  /** Which broker the switch asks for. */
  public enum Mode {
    /** The in-process KRaft broker. */
    EMBEDDED,
    /** A container of {@link #IMAGE}; tests are skipped without Docker. */
    TESTCONTAINERS,
    /** Testcontainers when Docker works, else embedded. */
    AUTO;

    /** The mode the switch names; {@code AUTO} when unset. */
    public static Mode fromSwitch() {
      String value = Optional.ofNullable(System.getProperty(SWITCH_PROPERTY))
          .or(() -> Optional.ofNullable(System.getenv(SWITCH_ENV)))
          .map(String::trim)
          .filter(s -> !s.isEmpty())
          .orElse("auto");
      try {
        return valueOf(value.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(SWITCH_PROPERTY + " must be embedded, testcontainers or auto, got '"
            + value + "'");
      }
    }
  }

  private final String bootstrapServers;
  private final String description;
  private final AutoCloseable broker;

  private TestKafka(String bootstrapServers, String description, AutoCloseable broker) {
    this.bootstrapServers = bootstrapServers;
    this.description = description;
    this.broker = broker;
  }

  /** A broker of the mode the switch names. */
  public static TestKafka start() {
    return start(Mode.fromSwitch());
  }

  /**
   * A broker of the given mode.
   *
   * @throws TestAbortedException when {@code TESTCONTAINERS} is asked for and Docker cannot
   *     give it in time
   */
  public static TestKafka start(Mode mode) {
    if (mode == Mode.EMBEDDED) {
      return embedded();
    }
    Optional<String> unavailable = dockerUnavailable();
    if (unavailable.isEmpty()) {
      try {
        return container();
      } catch (RuntimeException e) {
        containerFailure = oneLine(e);
        unavailable = Optional.of(containerFailure);
      }
    }
    if (mode == Mode.TESTCONTAINERS) {
      throw new TestAbortedException("Kafka on Testcontainers unavailable: " + unavailable.get());
    }
    LOG.info("Kafka on Testcontainers unavailable ({}); using the embedded broker", unavailable.get());
    return embedded();
  }

  /** {@code host:port} of the broker. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** {@code embedded} or the container's image. */
  public String description() {
    return description;
  }

  @Override
  public void close() {
    try {
      broker.close();
    } catch (Exception e) {
      LOG.warn("closing the {} broker failed: {}", description, e.toString());
    }
  }

  @Override
  public String toString() {
    return description + " at " + bootstrapServers;
  }

  private static TestKafka embedded() {
    EmbeddedKafka kafka = EmbeddedKafka.start();
    return new TestKafka(kafka.bootstrapServers(), "embedded", kafka);
  }

  private static TestKafka container() {
    KafkaContainer container = new KafkaContainer(IMAGE);
    Duration limit = Duration.ofSeconds(Long.getLong(START_TIMEOUT_PROPERTY, DEFAULT_START_SECONDS));
    try {
      bounded(() -> {
        container.start();
        return Boolean.TRUE;
      }, limit, "starting " + IMAGE);
    } catch (RuntimeException e) {
      // The start may go on retrying in its thread; stop whatever it got to.
      try {
        container.stop();
      } catch (RuntimeException ignored) {
        // nothing more to release
      }
      throw e;
    }
    return new TestKafka(container.getBootstrapServers(), IMAGE, container::stop);
  }

  /** Why Docker cannot be used, or empty when the probe answered yes. */
  static Optional<String> dockerUnavailable() {
    if (containerFailure != null) {
      return Optional.of(containerFailure);
    }
    Boolean answer = dockerAnswered;
    if (answer == null) {
      try {
        answer = bounded(() -> {
          try {
            return DockerClientFactory.instance().isDockerAvailable();
          } catch (RuntimeException e) {
            return false;
          }
        }, Duration.ofSeconds(PROBE_SECONDS), "the Docker probe");
      } catch (RuntimeException e) {
        answer = false;
      }
      dockerAnswered = answer;
    }
    return answer ? Optional.empty() : Optional.of("no Docker engine answered");
  }

  /** Runs the task on a daemon thread, giving up (and interrupting it) after the limit. */
  private static <T> T bounded(Supplier<T> task, Duration limit, String what) {
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread thread = new Thread(r, "test-kafka-" + what.replace(' ', '-'));
      thread.setDaemon(true);
      return thread;
    });
    CompletableFuture<T> future = CompletableFuture.supplyAsync(task, executor);
    try {
      return future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new IllegalStateException(what + " took longer than " + limit.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + " interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(what + " failed: " + oneLine(e.getCause()), e.getCause());
    } finally {
      executor.shutdownNow();
    }
  }

  private static String oneLine(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.lines().findFirst().orElse("");
  }
}
