package io.distilflux.monitor;

import static io.distilflux.monitor.TestEvents.hyperGradient;
import static io.distilflux.monitor.TestEvents.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Delivery;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.ForwardingEventBus;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

  /**
   * The reader of the runs makes forecasts too: a run's start releases the points that came
   * before it. A run's forecasts must still reach the topic in the order of its periods when the
   * reader of the hypergradients completes the next period while the first ones are being sent.
   */
  @Test
  void forecastsReleasedByARunsStartAndMadeMeanwhileLeaveInPeriodOrder() throws Exception {
    Topics topics = new Topics("o" + UUID.randomUUID().toString().substring(0, 8) + ".");
    KafkaTopicsAdmin.oneProcess().ensureTopics(KAFKA.bootstrapServers(), topics);
    String run = "early-points";
    CountDownLatch secondPublish = new CountDownLatch(1);
    AtomicInteger forecastPublishes = new AtomicInteger();
    try (KafkaEventBus kafka = KafkaEventBus.connect(KAFKA.bootstrapServers(), topics);
        MonitorService monitor = new MonitorService(
            new SlowFirstForecasts(kafka, topics, forecastPublishes, secondPublish), topics,
            "ordering", new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
            MonitorOptions.defaults().withHttp("127.0.0.1", 0))) {
      monitor.start();
      monitor.restored().block(WAIT);
      // periods 0 and 1 (mini-epoch 2, every 2: periods of 4 steps) before the run's start
      kafka.publish(topics.hyperGradients(), Flux.just(point(run, 0), point(run, 1),
          point(run, 4), point(run, 5))).blockLast(WAIT);
      awaitCount(monitor, 4);
      kafka.publish(topics.runs(), Flux.just(started(run, Mode.FORECAST, 2, 2))).blockLast(WAIT);
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (forecastPublishes.get() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5); // until the start's forecasts are on their way out
      }
      kafka.publish(topics.hyperGradients(), Flux.just(point(run, 8), point(run, 9)))
          .blockLast(WAIT);
      List<Long> periods = kafka.consume(topics.forecasts(), ConsumerOptions.wholeHistory("r"))
          .map(received -> received.event().periodStart())
          .take(3)
          .collectList()
          .block(WAIT);
      assertEquals(List.of(0L, 4L, 8L), periods);
    }
  }

  private static HyperGradient point(String run, long step) {
    return hyperGradient(run, step, new Unconstrained(0.5 + 0.1 * step, -1, 2));
  }

  private static void awaitCount(MonitorService monitor, long handled) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (monitor.eventsHandled() < handled) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the monitor did not read " + handled + " events");
      }
      Thread.sleep(10);
    }
  }

  /**
   * A bus whose first publish of forecasts is slow to start sending: it waits (1 s at most) for a
   * second publish of forecasts to be delivered, as an unordered monitor would let it be.
   */
  private static final class SlowFirstForecasts extends ForwardingEventBus {
    private final Topics topics;
    private final AtomicInteger publishes;
    private final CountDownLatch second;

    SlowFirstForecasts(EventBus delegate, Topics topics, AtomicInteger publishes,
        CountDownLatch second) {
      super(delegate);
      this.topics = topics;
      this.publishes = publishes;
      this.second = second;
    }

    @Override
    public <E extends Event> Flux<Delivery<E>> publish(Channel<E> channel,
        Flux<? extends E> events) {
      if (!channel.equals(topics.forecasts())) {
        return super.publish(channel, events);
      }
      if (publishes.incrementAndGet() > 1) {
        return super.publish(channel, events).doOnTerminate(second::countDown);
      }
      return Flux.defer(() -> {
        try {
          second.await(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return super.publish(channel, events);
      });
    }
  }
}
