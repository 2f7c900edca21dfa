package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.kafka.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run} against a cluster whose listener asks for SASL/SCRAM credentials: without
 * {@code --kafka-config} it ends with one line and exit code 2 before anything trains; with a
 * {@code --kafka-config} file holding the credentials, a hypergradient run completes.
 */
class SecuredClusterRunTest {

  @TempDir Path tempDir;

  @Test
  void aRunNeedsTheCredentialsOfItsKafkaConfigAndCompletesWithThem() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.startSecured(new EmbeddedKafka.Security(
        "distilflux", Map.of("distilflux", "run-secret"), false))) {
      List<String> run = List.of("run", "--bootstrap-servers", kafka.bootstrapServers(),
          "--iterations", "40", "--seeds", "1", "--modes", "hypergradient",
          "--metrics-port", "0", "--teacher-steps", "100", "--train-size", "60",
          "--validation-size", "30", "--test-size", "60", "--meta-timeout", "30");

      CliOutcome refused = CliOutcome.execute(with(run, "--output",
          tempDir.resolve("refused").toString()));
      assertEquals(2, refused.exitCode(), refused.err());
      // The broker runs in this process: its own log of the refused connections is left out.
      List<String> lines = refused.errLines().stream()
          .filter(line -> !line.contains("SocketServer") && !line.contains("SASL handshake"))
          .toList();
      assertEquals(1, lines.size(), refused.err());
      assertTrue(lines.get(0).startsWith("distilflux: Kafka at "), refused.err());
      assertTrue(lines.get(0).contains("--kafka-config"), refused.err());

      Path config = tempDir.resolve("client.properties");
      StringBuilder properties = new StringBuilder();
      EmbeddedKafka.scramClient("distilflux", "run-secret")
          .forEach((key, value) -> properties.append(key).append('=').append(value).append('\n'));
      Files.writeString(config, properties);
      Path output = tempDir.resolve("secured");
      List<String> secured = List.of(with(run, "--output", output.toString()));
      CliOutcome completed = CliOutcome.execute(with(secured, "--kafka-config",
          config.toString()));
      assertEquals(0, completed.exitCode(), completed.err());
      List<String> csv = Files.readAllLines(output.resolve("results.csv"));
      assertEquals(2, csv.size(), csv.toString());
      List<String> header = List.of(csv.get(0).split(",", -1));
      String[] row = csv.get(1).split(",", -1);
      assertEquals("hypergradient", row[header.indexOf("mode")], csv.toString());
      assertEquals("", row[header.indexOf("failure")], "a completed hypergradient run: " + csv);
    }
  }

  private static String[] with(List<String> args, String flag, String value) {
    List<String> all = new java.util.ArrayList<>(args);
    all.add(flag);
    all.add(value);
    return all.toArray(String[]::new);
  }
}
