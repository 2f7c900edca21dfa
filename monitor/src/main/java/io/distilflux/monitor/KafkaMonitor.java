package io.distilflux.monitor;

import io.distilflux.monitor.lag.ConsumerLag;
import io.distilflux.monitor.metrics.MonitorMetrics;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.kafka.DeadLetterFollower;
import io.distilflux.pipeline.kafka.KafkaBusSettings;
import io.distilflux.pipeline.kafka.KafkaConnection;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.distilflux.pipeline.meta.MetaOptimizerService;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The standalone monitor on a Kafka cluster, wired as {@code distilflux monitor} runs it: its
 * own bus, the dead-letter topic followed so that every service's letters are counted once per
 * record, the {@link MonitorService} with its HTTP
 * endpoint, and the {@link ConsumerLag} of the given groups on the same registry.
 */
public final class KafkaMonitor implements AutoCloseable {

  private final KafkaEventBus bus;
  private final MonitorService service;
  private final ConsumerLag lag;
  private final DeadLetterFollower letters;

  private KafkaMonitor(KafkaEventBus bus, MonitorService service, ConsumerLag lag,
      DeadLetterFollower letters) {
    this.bus = bus;
    this.service = service;
    this.lag = lag;
    this.letters = letters;
  }

  /**
   * The default groups whose lag a monitor of group {@code group} reports: its own committing
   * groups and the meta-optimizer's default group.
   */
  public static List<String> defaultLagGroups(String group) {
    List<String> groups = new ArrayList<>(MonitorService.committingGroups(group));
    groups.add(MetaOptimizerService.DEFAULT_GROUP);
    return List.copyOf(groups);
  }

  /**
   * Connects and starts (topics are expected to exist).
   *
   * @param bootstrapServers the Kafka cluster
   * @param topics the deployment's topics
   * @param group the monitor's consumer group
   * @param options HTTP address and restore settings
   * @param lagGroups consumer groups whose lag is served
   * @param lagPeriod how often the lag is measured
   */
  public static KafkaMonitor start(String bootstrapServers, Topics topics, String group,
      MonitorOptions options, List<String> lagGroups, Duration lagPeriod) {
    return start(KafkaConnection.plain(bootstrapServers), topics, group, options, lagGroups,
        lagPeriod);
  }

  /** As the other {@code start}, with the client properties of {@code connection}. */
  public static KafkaMonitor start(KafkaConnection connection, Topics topics, String group,
      MonitorOptions options, List<String> lagGroups, Duration lagPeriod) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Dead letters are counted from their topic, whichever service wrote them, once per record.
    KafkaEventBus bus = KafkaEventBus.connect(connection, topics, KafkaBusSettings.defaults(),
        letter -> {});
    MonitorService service = null;
    ConsumerLag lag = null;
    DeadLetterFollower letters = null;
    try {
      service = new MonitorService(bus, topics, group, registry, options);
      service.start();
      MonitorMetrics metrics = service.metrics();
      letters = DeadLetterFollower.start(connection, topics.deadLetter(),
          letter -> metrics.deadLettered(letter.key()));
      lag = new ConsumerLag(connection, topics.prefix(), lagGroups, registry).start(lagPeriod);
      return new KafkaMonitor(bus, service, lag, letters);
    } catch (RuntimeException e) {
      new KafkaMonitor(bus, service, lag, letters).close();
      throw e;
    }
  }

  /** The monitor service (its port, health and meters). */
  public MonitorService service() {
    return service;
  }

  /** Stops measuring the lag, then the monitor, then its bus. */
  @Override
  public void close() {
    if (lag != null) {
      lag.close();
    }
    if (letters != null) {
      letters.close();
    }
    if (service != null) {
      service.close();
    }
    bus.close();
  }
}
