package io.distilflux.trainer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.StringJoiner;

/**
 * Reads an experiment file: YAML ({@code .yaml}, {@code .yml}) or Java properties (any other
 * name), with the same keys as the {@code run} command's long flags ({@code mini-epoch: 10}).
 */
public final class ConfigFile {

  private ConfigFile() {}

  /**
   * The file's settings as text.
   *
   * @throws IllegalArgumentException with a one-line message naming the file
   */
  public static Map<String, String> read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("config file not found: " + file);
    }
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    try {
      return name.endsWith(".yaml") || name.endsWith(".yml") ? yaml(file) : properties(file);
    } catch (IOException e) {
      String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      throw new IllegalArgumentException("cannot read config file " + file + ": " + why);
    }
  }

  private static Map<String, String> properties(Path file) throws IOException {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      properties.load(reader);
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : properties.stringPropertyNames()) {
      out.put(key.trim(), properties.getProperty(key).trim());
    }
    return out;
  }

  private static Map<String, String> yaml(Path file) throws IOException {
    JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    Map<String, String> out = new LinkedHashMap<>();
    if (root == null || root.isMissingNode() || root.isNull()) {
      return out;
    }
    if (!root.isObject()) {
      throw new IllegalArgumentException("config file " + file + " must hold a mapping of settings");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      JsonNode value = entry.getValue();
      if (value.isObject()) {
        throw new IllegalArgumentException(
            "config file " + file + ": setting '" + entry.getKey() + "' must be a value or a list");
      }
      if (value.isArray()) {
        StringJoiner joined = new StringJoiner(",");
        value.forEach(element -> joined.add(element.asText()));
        out.put(entry.getKey(), joined.toString());
      } else {
        out.put(entry.getKey(), value.asText());
      }
    }
    return out;
  }
}
