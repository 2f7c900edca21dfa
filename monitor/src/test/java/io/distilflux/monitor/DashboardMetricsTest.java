package io.distilflux.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.deploy.DeploymentFiles;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunConfig.Mode;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.kafka.KafkaBroker;
import io.distilflux.pipeline.kafka.KafkaEventBus;
import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;

/**
 * The Grafana dashboard and the Prometheus configuration of {@code docker/} against what the
 * standalone monitor really serves: the monitor runs on Kafka as {@code distilflux monitor}
 * wires it, a short forecast run's events (a non-finite hypergradient and a malformed record
 * included) go through the broker, and every metric the files name must be in the scrape.
 */
class DashboardMetricsTest {

  @RegisterExtension static final KafkaBroker KAFKA = KafkaBroker.fromSwitch();

  private static final String RUN = "dashboard-run";
  private static final int MINI_EPOCH = 4;
  private static final int EVERY = 2;
  private static final int STEPS = 16;

  @Test
  void dashboardAndPrometheusNameOnlyMetricsTheMonitorExports() throws Exception {
    JsonNode dashboard = DeploymentFiles.json("grafana/dashboards/distilflux.json");
    Set<String> named = new TreeSet<>();
    List<String> queries = new ArrayList<>(DeploymentFiles.fieldValues(dashboard, "expr"));
    queries.addAll(DeploymentFiles.fieldValues(dashboard, "query"));
    queries.forEach(q -> named.addAll(DeploymentFiles.metricNames(q)));
    named.addAll(DeploymentFiles.metricNames(
        Files.readString(DeploymentFiles.file("prometheus/prometheus.yml"))));
    assertTrue(named.size() > 10, "metric names in the dashboard: " + named);

    Topics topics = Topics.defaults();
    KafkaTopicsAdmin.singleBroker().ensureTopics(KAFKA.bootstrapServers(), topics);
    try (KafkaMonitor monitor = KafkaMonitor.start(KAFKA.bootstrapServers(), topics,
            MonitorService.DEFAULT_GROUP,
            MonitorOptions.defaults().withHttp("127.0.0.1", 0),
            KafkaMonitor.defaultLagGroups(MonitorService.DEFAULT_GROUP), Duration.ofMillis(200));
        KafkaEventBus bus = KafkaEventBus.connect(KAFKA.bootstrapServers(), topics)) {
      publishShortRun(bus, topics);
      try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(
          Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()),
          new StringSerializer(), new ByteArraySerializer())) {
        raw.send(new ProducerRecord<>(topics.steps().topic(), RUN,
            "{not json".getBytes(StandardCharsets.UTF_8))).get();
      }

      Set<String> exported = Set.of();
      Set<String> missing = named;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!missing.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(200);
        exported = exportedNames(scrape(monitor.service().port()));
        missing = new TreeSet<>(named);
        missing.removeAll(exported);
      }
      assertEquals(Set.of(), missing,
          "named in docker/grafana or docker/prometheus but not exported; exported: " + exported);
    }
  }

  @Test
  void dashboardHasOneRowPerRunAndUsesTheProvisionedDataSource() {
    JsonNode dashboard = DeploymentFiles.json("grafana/dashboards/distilflux.json");
    JsonNode variable = dashboard.at("/templating/list/0");
    assertEquals("run", variable.get("name").asText());
    List<JsonNode> repeated = new ArrayList<>();
    dashboard.get("panels").forEach(p -> {
      if ("row".equals(p.get("type").asText()) && p.has("repeat")) {
        repeated.add(p);
      }
    });
    assertEquals(1, repeated.size());
    assertEquals("run", repeated.get(0).get("repeat").asText());
    String uid = DeploymentFiles.yaml("grafana/provisioning/datasources/prometheus.yaml")
        .at("/datasources/0/uid").asText();
    assertFalse(uid.isEmpty());
    dashboard.findValues("datasource").forEach(ds -> assertEquals(uid, ds.get("uid").asText()));
    // Every panel of the run rows filters on the row's run.
    boolean inRunRow = false;
    for (JsonNode panel : dashboard.get("panels")) {
      if ("row".equals(panel.get("type").asText())) {
        inRunRow = panel.has("repeat");
        continue;
      }
      if (inRunRow) {
        for (JsonNode target : panel.get("targets")) {
          assertTrue(target.get("expr").asText().contains("run=\"$run\""),
              panel.get("title").asText() + ": " + target.get("expr").asText());
        }
      }
    }
  }

  /** A forecast run of E = 4, n = 2: hypergradient mini-epochs, forecast windows, evaluations. */
  private static void publishShortRun(KafkaEventBus bus, Topics topics) {
    bus.publish(topics.runs(), Flux.just(TestEvents.started(RUN, Mode.FORECAST, MINI_EPOCH, EVERY)))
        .blockLast(Duration.ofSeconds(30));
    List<TrainingStep> steps = new ArrayList<>();
    List<HyperGradient> gradients = new ArrayList<>();
    for (int t = 0; t < STEPS; t++) {
      boolean hypergradient = t % (MINI_EPOCH * EVERY) < MINI_EPOCH;
      steps.add(TestEvents.step(RUN, t, hypergradient ? Phase.HYPERGRADIENT : Phase.FORECAST,
          1_000_000L + 100L * t));
      if (hypergradient) {
        gradients.add(t == 2
            ? new HyperGradient(Event.CURRENT_SCHEMA_VERSION, RUN, t, new Unconstrained(0, 0, 0),
                new Unconstrained(Double.NaN, 0, 0), 0.5, 0.1)
            : TestEvents.hyperGradient(RUN, t, new Unconstrained(0.01 * t, -0.01 * t, 0.02 * t)));
      }
    }
    Duration wait = Duration.ofSeconds(30);
    bus.publish(topics.steps(), Flux.fromIterable(steps)).blockLast(wait);
    bus.publish(topics.hyperGradients(), Flux.fromIterable(gradients)).blockLast(wait);
    bus.publish(topics.evaluations(),
        Flux.just(TestEvents.evaluation(RUN, 7), TestEvents.evaluation(RUN, STEPS - 1))).blockLast(wait);
    bus.publish(topics.runs(), Flux.just(TestEvents.finished(RUN, 2.0, 1.0))).blockLast(wait);
  }

  private static String scrape(int port) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    return response.body();
  }

  /** Names of the samples in a Prometheus text scrape. */
  private static Set<String> exportedNames(String scrape) {
    Set<String> names = new TreeSet<>();
    scrape.lines()
        .filter(l -> !l.isBlank() && !l.startsWith("#"))
        .forEach(l -> names.add(l.split("[{ ]", 2)[0]));
    return names;
  }
}
