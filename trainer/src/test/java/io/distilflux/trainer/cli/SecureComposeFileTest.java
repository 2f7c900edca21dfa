package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.distilflux.pipeline.deploy.DeploymentFiles;
import io.distilflux.pipeline.kafka.KafkaConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * {@code docker/compose-secure.yaml} against the code and its ACL script: every distilflux
 * command parses with the real CLI and gives a {@code --kafka-config} of its own user that the
 * file mounts from {@code docker/secure/}; the ACLs let only the meta-optimizer write
 * meta-parameters and only the monitor write forecasts.
 */
class SecureComposeFileTest {

  private final JsonNode compose = DeploymentFiles.yaml("compose-secure.yaml");

  @Test
  void everyServiceAuthenticatesAsItsOwnUserWithAMountedConfig() {
    for (Map.Entry<String, String> service : Map.of("meta-optimizer", "meta-optimizer",
        "monitor", "monitor", "trainer", "trainer").entrySet()) {
      JsonNode definition = compose.path("services").path(service.getKey());
      List<String> args = new ArrayList<>();
      definition.get("command").forEach(a -> args.add(a.asText()));
      ParseResult parsed = new CommandLine(new Distilflux())
          .parseArgs(args.toArray(String[]::new)).subcommand();
      String config = parsed.matchedOption("--kafka-config").stringValues().get(0);
      assertEquals("/secure/" + service.getValue() + ".properties", config);
      List<String> mounts = new ArrayList<>();
      definition.get("volumes").forEach(v -> mounts.add(v.asText()));
      assertTrue(mounts.contains("./secure/" + service.getValue() + ".properties:" + config
          + ":ro"), mounts.toString());
      Path file = DeploymentFiles.file("secure/" + service.getValue() + ".properties");
      KafkaConnection connection = KafkaConnection.withConfigFile("kafka:9092", file);
      assertEquals("SCRAM-SHA-256", connection.properties().get("sasl.mechanism"));
      assertTrue(connection.properties().get("sasl.jaas.config")
          .contains("username=\"" + service.getValue() + "\""));
    }
  }

  @Test
  void onlyTheMetaOptimizerWritesMetaParamsAndOnlyTheMonitorForecasts() throws Exception {
    String acls = Files.readString(DeploymentFiles.file("secure/acls.sh"));
    assertEquals(List.of("meta-optimizer"), writers(acls, "metaparams"));
    assertEquals(List.of("monitor"), writers(acls, "forecasts"));
    String trainerTopics = acls.lines().filter(l -> l.startsWith("for topic in")).findFirst()
        .orElseThrow();
    assertEquals("for topic in steps hypergradients evaluations runs; do", trainerTopics);
    String startup = Files.readString(DeploymentFiles.file("secure/kafka-start.sh"));
    assertTrue(startup.contains("allow.everyone.if.no.acl.found=false"), startup);
  }

  /** The principals the script lets write a topic of the default prefix. */
  private static List<String> writers(String script, String topic) {
    List<String> users = new ArrayList<>();
    Matcher m = Pattern.compile("--allow-principal User:([a-z-]+) --operation Write --topic "
        + "\"\\$\\{P}" + topic + "\"").matcher(script);
    while (m.find()) {
      users.add(m.group(1));
    }
    return users;
  }
}
