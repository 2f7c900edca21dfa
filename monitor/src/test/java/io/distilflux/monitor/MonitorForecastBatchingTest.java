package io.distilflux.monitor;

import static io.distilflux.monitor.TestEvents.hyperGradient;
import static io.distilflux.monitor.TestEvents.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.RunConfig.Mode;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.kafka.KafkaBroker;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import io.distilflux.pipeline.kafka.TestKafka;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;

/**
 * Many forecast runs completing their periods in the hypergradients of one poll: the monitor
 * publishes their forecasts together, in a produce request or two rather than one each. Counted
 * by the embedded broker's own request meters, so it runs on the embedded broker whatever the
 * Kafka switch says.
 */
class MonitorForecastBatchingTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int RUNS = 12;
  @RegisterExtension static final KafkaBroker KAFKA = KafkaBroker.of(TestKafka.Mode.EMBEDDED);

  @Test
  void forecastsCompletedInOnePollLeaveTogetherAndEachRunGetsItsOwn() {
    Topics topics = new Topics("f" + UUID.randomUUID().toString().substring(0, 8) + ".");
    KafkaTopicsAdmin.oneProcess().ensureTopics(KAFKA.bootstrapServers(), topics);
    List<RunStarted> starts = new ArrayList<>();
    List<HyperGradient> points = new ArrayList<>();
    for (int r = 0; r < RUNS; r++) {
      String run = "run-" + r;
      starts.add(started(run, Mode.FORECAST, 4, 2));
      for (long step = 0; step < 4; step++) {
        points.add(hyperGradient(run, step, new Unconstrained(0.5 + 0.1 * step, -r, 2)));
      }
    }
    long before = KafkaBroker.produceRequests(topics.forecasts().topic());
    try (KafkaEventBus bus = KafkaEventBus.connect(KAFKA.bootstrapServers(), topics);
        MonitorService monitor = new MonitorService(bus, topics, "batching",
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
            MonitorOptions.defaults().withHttp("127.0.0.1", 0))) {
      bus.publish(topics.runs(), Flux.fromIterable(starts)).blockLast(WAIT);
      monitor.start();
      monitor.restored().block(WAIT);
      // one produce request: the monitor's first poll brings every run's whole period
      bus.publish(topics.hyperGradients(), Flux.fromIterable(points)).blockLast(WAIT);
      Set<String> forecastRuns = new TreeSet<>();
      bus.consume(topics.forecasts(), ConsumerOptions.wholeHistory("reader"))
          .map(Received::event)
          .take(RUNS)
          .map(TrajectoryForecast::runId)
          .doOnNext(forecastRuns::add)
          .blockLast(WAIT);
      assertEquals(RUNS, forecastRuns.size(), "one forecast per run: " + forecastRuns);
      assertEquals(RUNS, monitor.forecastsPublished());
    }
    long requests = KafkaBroker.produceRequests(topics.forecasts().topic()) - before;
    assertTrue(requests <= RUNS / 3, RUNS + " forecasts in " + requests + " produce requests");
  }
}
