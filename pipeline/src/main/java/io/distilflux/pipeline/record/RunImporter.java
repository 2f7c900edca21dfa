package io.distilflux.pipeline.record;

import io.distilflux.pipeline.EventRouter;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.kafka.KafkaBusSettings;
import io.distilflux.pipeline.kafka.KafkaConnection;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import reactor.core.publisher.Flux;

/**
 * Publishes recorded runs into a Kafka cluster as the trainer and services would have: each
 * event on its topic, keyed by run id, in recorded order, through the idempotent
 * ({@code acks=all}) producer of {@link KafkaEventBus}. Missing topics are created first.
 *
 * <p>A run already recorded on the cluster (its id on the runs topic) is refused, as are two
 * archives of one run: importing twice would double every event of it. All runs are checked
 * before the first is written.
 */
public final class RunImporter {

  private static final Duration PUBLISH_TIMEOUT = Duration.ofMinutes(10);

  private final KafkaConnection connection;
  private final Topics topics;
  private final KafkaTopicsAdmin admin;

  /**
   * @param bootstrapServers the target cluster
   * @param topics topic names there
   * @param admin partitions and replication of topics it creates
   */
  public RunImporter(String bootstrapServers, Topics topics, KafkaTopicsAdmin admin) {
    this(KafkaConnection.plain(bootstrapServers), topics, admin);
  }

  /** As the other constructor, with the client properties of {@code connection}. */
  public RunImporter(KafkaConnection connection, Topics topics, KafkaTopicsAdmin admin) {
    this.connection = connection;
    this.topics = topics;
    this.admin = admin;
  }

  /**
   * Imports the runs, in the given order.
   *
   * @return the number of events published
   * @throws IllegalArgumentException when a run is already on the cluster or given twice
   */
  public long importRuns(List<RecordedRun> runs) {
    Set<String> seen = new HashSet<>();
    for (RecordedRun run : runs) {
      if (!seen.add(run.runId())) {
        throw new IllegalArgumentException("run " + run.runId() + " is given twice");
      }
    }
    admin.ensureTopics(connection, topics);
    try (KafkaRunReader reader = KafkaRunReader.connect(connection, topics)) {
      Set<String> recorded = reader.runs().stream().map(RecordedRunSummary::runId)
          .collect(Collectors.toSet());
      for (RecordedRun run : runs) {
        if (recorded.contains(run.runId())) {
          throw new IllegalArgumentException("run " + run.runId() + " is already recorded on "
              + connection.bootstrapServers() + " under topic prefix '" + topics.prefix() + "'");
        }
      }
    }
    long published = 0;
    try (KafkaEventBus bus = KafkaEventBus.connect(connection, topics,
        KafkaBusSettings.defaults(), letter -> {})) {
      EventRouter router = new EventRouter(bus, topics);
      for (RecordedRun run : runs) {
        Long count = router.publish(Flux.fromIterable(run.events())).count()
            .block(PUBLISH_TIMEOUT);
        published += count == null ? 0 : count;
      }
    }
    return published;
  }
}
