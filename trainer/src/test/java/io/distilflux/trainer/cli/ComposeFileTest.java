package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.distilflux.monitor.MonitorOptions;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.deploy.DeploymentFiles;
import io.distilflux.pipeline.kafka.TestKafka;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * {@code docker/compose.yaml} and the image against the code: every command parses with the
 * real CLI, and ports, topic prefix and broker address match the defaults the code uses.
 */
class ComposeFileTest {

  private final JsonNode compose = DeploymentFiles.yaml("compose.yaml");

  private JsonNode service(String name) {
    JsonNode service = compose.path("services").path(name);
    assertTrue(service.isObject(), "service " + name + " in compose.yaml");
    return service;
  }

  private static List<String> command(JsonNode service) {
    List<String> args = new ArrayList<>();
    service.get("command").forEach(a -> args.add(a.asText()));
    return args;
  }

  /** The command parsed by the real CLI; a flag it does not know fails here. */
  private static ParseResult subcommand(JsonNode service) {
    ParseResult result = new CommandLine(new Distilflux()).parseArgs(command(service).toArray(String[]::new));
    assertTrue(result.hasSubcommand(), "a subcommand in " + command(service));
    return result.subcommand();
  }

  private static String option(ParseResult result, String name) {
    var matched = result.matchedOption(name);
    return matched != null ? matched.stringValues().get(0)
        : result.commandSpec().findOption(name).defaultValue();
  }

  @Test
  void theStackHasEveryService() {
    Set<String> names = new TreeSet<>();
    compose.get("services").fieldNames().forEachRemaining(names::add);
    assertEquals(Set.of("kafka", "meta-optimizer", "monitor", "trainer", "prometheus", "grafana"), names);
    assertEquals(TestKafka.IMAGE, service("kafka").get("image").asText(),
        "compose runs the Kafka image the Testcontainers tests run");
  }

  @Test
  void servicesReachKafkaOnItsAdvertisedListenerAndUseTheDefaultTopics() {
    String advertised = service("kafka").at("/environment/KAFKA_ADVERTISED_LISTENERS").asText();
    assertEquals("false", service("kafka").at("/environment/KAFKA_AUTO_CREATE_TOPICS_ENABLE").asText());
    for (String name : List.of("meta-optimizer", "monitor", "trainer")) {
      ParseResult command = subcommand(service(name));
      String servers = option(command, "--bootstrap-servers");
      assertTrue(advertised.contains("PLAINTEXT://" + servers), name + " -> " + servers + " in " + advertised);
      assertEquals(Topics.DEFAULT_PREFIX, option(command, "--topic-prefix") == null
          ? Topics.DEFAULT_PREFIX : option(command, "--topic-prefix"), name + " topic prefix");
      assertEquals("distilflux:local", service(name).get("image").asText());
      assertEquals("docker/Dockerfile", service(name).at("/build/dockerfile").asText());
    }
    assertEquals(Topics.DEFAULT_PREFIX, new CommandLine(new MonitorCommand()).getCommandSpec()
        .findOption("--topic-prefix").defaultValue());
    assertEquals("external", option(subcommand(service("trainer")), "--services"));
  }

  @Test
  void portsOfTheHealthAndMetricsEndpointsMatchTheDefaults() throws Exception {
    ParseResult monitor = subcommand(service("monitor"));
    assertEquals("monitor", monitor.commandSpec().name());
    int metricsPort = Integer.parseInt(option(monitor, "--metrics-port"));
    assertEquals(MonitorOptions.DEFAULT_PORT, metricsPort);
    assertEquals(String.valueOf(metricsPort), service("monitor").at("/environment/HEALTH_PORT").asText());
    assertEquals(metricsPort + ":" + metricsPort, service("monitor").at("/ports/0").asText());

    ParseResult meta = subcommand(service("meta-optimizer"));
    assertEquals("meta-optimizer", meta.commandSpec().name());
    int healthPort = Integer.parseInt(option(meta, "--health-port"));
    assertEquals(MetaOptimizerCommand.DEFAULT_HEALTH_PORT, healthPort);
    assertEquals(String.valueOf(healthPort), service("meta-optimizer").at("/environment/HEALTH_PORT").asText());

    JsonNode scrape = DeploymentFiles.yaml("prometheus/prometheus.yml").get("scrape_configs");
    Set<String> targets = new TreeSet<>();
    scrape.forEach(job -> {
      assertEquals("/metrics", job.get("metrics_path").asText());
      job.findValues("targets").forEach(t -> t.forEach(x -> targets.add(x.asText())));
    });
    assertEquals(Set.of("monitor:" + metricsPort, "meta-optimizer:" + healthPort), targets);

    String prometheusPort = service("prometheus").at("/ports/0").asText().split(":")[1];
    assertEquals("http://prometheus:" + prometheusPort, DeploymentFiles
        .yaml("grafana/provisioning/datasources/prometheus.yaml").at("/datasources/0/url").asText());
    assertEquals("/var/lib/grafana/dashboards", DeploymentFiles
        .yaml("grafana/provisioning/dashboards/distilflux.yaml").at("/providers/0/options/path").asText());
    assertTrue(service("grafana").get("volumes").toString()
        .contains("./grafana/dashboards:/var/lib/grafana/dashboards"));
  }

  @Test
  void imageRunsTheCliJarAsANonRootUserWithAHealthCheck() throws Exception {
    String dockerfile = Files.readString(DeploymentFiles.file("Dockerfile"));
    assertTrue(dockerfile.contains("\nUSER distilflux\n"), "non-root USER");
    assertTrue(dockerfile.contains("\nHEALTHCHECK "), "HEALTHCHECK");
    assertTrue(dockerfile.contains("ENTRYPOINT [\"java\", \"-jar\", \"/app/distilflux.jar\"]"));
    assertTrue(dockerfile.contains("/src/trainer/target/distilflux.jar"));
    assertTrue(Files.isExecutable(DeploymentFiles.file("healthcheck.sh")));
  }

  @Test
  void imageCopiesEveryModuleOfTheReactor() throws Exception {
    String dockerfile = Files.readString(DeploymentFiles.file("Dockerfile"));
    String rootPom = Files.readString(DeploymentFiles.dockerDir().resolveSibling("pom.xml"));
    java.util.regex.Matcher module =
        java.util.regex.Pattern.compile("<module>([^<]+)</module>").matcher(rootPom);
    int modules = 0;
    while (module.find()) {
      modules++;
      String name = module.group(1);
      assertTrue(dockerfile.contains("\nCOPY " + name + " " + name + "\n"),
          "the image build lacks module " + name + " (Maven refuses a reactor with one missing)");
    }
    assertTrue(modules > 0, "no <module> in the root pom");
  }
}
