package io.distilflux.pipeline.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files of the repository's {@code docker/} folder as the tests of the modules read them:
 * parsed strictly (a file that does not parse fails the test), and the metric names a text
 * mentions.
 */
public final class DeploymentFiles {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final Pattern METRIC = Pattern.compile("\\bdistilflux_[a-z0-9_]+\\b");

  private DeploymentFiles() {}

  /** The {@code docker/} folder: beside the module the tests run in, or in the working folder. */
  public static Path dockerDir() {
    for (Path candidate : List.of(Path.of("..", "docker"), Path.of("docker"))) {
      if (Files.isRegularFile(candidate.resolve("compose.yaml"))) {
        return candidate.toAbsolutePath().normalize();
      }
    }
    throw new IllegalStateException("no docker/compose.yaml beside " + Path.of("").toAbsolutePath());
  }

  /** A file under {@code docker/}. */
  public static Path file(String relative) {
    return dockerDir().resolve(relative);
  }

  /** Parses a YAML file under {@code docker/}. */
  public static JsonNode yaml(String relative) {
    return read(YAML, relative);
  }

  /** Parses a JSON file under {@code docker/}. */
  public static JsonNode json(String relative) {
    return read(JSON, relative);
  }

  /** Every {@code distilflux_…} metric name in the text. */
  public static Set<String> metricNames(String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = METRIC.matcher(text);
    while (m.find()) {
      names.add(m.group());
    }
    return names;
  }

  /** Every text value of the fields with this name, anywhere in the tree. */
  public static List<String> fieldValues(JsonNode tree, String field) {
    List<String> values = new ArrayList<>();
    for (JsonNode node : tree.findValues(field)) {
      if (node.isTextual()) {
        values.add(node.asText());
      } else if (node.isObject() && node.has("query") && node.get("query").isTextual()) {
        values.add(node.get("query").asText()); // Grafana's {"query": "...", "refId": ...}
      }
    }
    return values;
  }

  private static JsonNode read(ObjectMapper mapper, String relative) {
    Path path = file(relative);
    try {
      return mapper.readTree(path.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot parse " + path, e);
    }
  }
}
