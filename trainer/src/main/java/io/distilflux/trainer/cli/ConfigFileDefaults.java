package io.distilflux.trainer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.StringJoiner;
import java.util.stream.Collectors;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * The defaults of a command's options from its {@code --config FILE} and, beneath the file,
 * from the {@code --protocol} it names: picocli asks it for every option not given on the
 * command line, so flags override the file, the file overrides the protocol, and the protocol
 * overrides the options' own defaults. Values are text, converted and checked by picocli like
 * flags.
 *
 * <p>The file is YAML ({@code .yaml}, {@code .yml}; a list value stands for a comma list) or
 * Java properties (any other name), keyed by the long flag names without dashes
 * ({@code mini-epoch: 10}).
 */
final class ConfigFileDefaults implements IDefaultValueProvider {

  static final String CONFIG = "--config";
  static final String PROTOCOL = "--protocol";

  private Path loadedFrom;
  private Map<String, String> loaded = Map.of();
  /** Where each option's default came from, by long name, when from the file or a protocol. */
  private final Map<String, String> origins = new HashMap<>();

  /** A configuration file that cannot be read, or holds a setting no flag has. */
  static final class ConfigFileException extends IllegalArgumentException {
    ConfigFileException(String message) {
      super(message);
    }
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()
        || option.longestName().equals(CONFIG)) {
      return null;
    }
    CommandSpec command = option.command();
    Map<String, String> file = file(command);
    String key = key(option);
    String value = file.get(key);
    if (value != null) {
      origins.put(option.longestName(), "config file " + loadedFrom);
      return value;
    }
    Optional<Protocol> protocol = protocol(command, file);
    if (protocol.isPresent() && protocol.get().settings().containsKey(key)) {
      origins.put(option.longestName(), "protocol " + KebabEnumConverter.name(protocol.get()));
      return protocol.get().settings().get(key);
    }
    return null;
  }

  /**
   * Where the value of an option not given as a flag came from: {@code config file FILE} or
   * {@code protocol NAME}; empty for a flag or the option's own default.
   */
  Optional<String> origin(String longName) {
    return Optional.ofNullable(origins.get(longName));
  }

  /** The origin of a command's option value, when it has this provider. */
  static Optional<String> origin(CommandSpec command, String longName) {
    return command.defaultValueProvider() instanceof ConfigFileDefaults defaults
        ? defaults.origin(longName) : Optional.empty();
  }

  /**
   * The one-line message of a bad value that came from the file or from a problem with the
   * file itself; empty when the exception is about a flag.
   */
  static Optional<String> explain(ParameterException e) {
    for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
      if (cause instanceof ConfigFileException file) {
        return Optional.of(file.getMessage());
      }
    }
    if (!(e.getArgSpec() instanceof OptionSpec option)) {
      return Optional.empty();
    }
    return origin(e.getCommandLine().getCommandSpec(), option.longestName()).map(from -> {
      // picocli says "Invalid value for option '--seeds': 'five' is not an int"
      String why = e.getMessage();
      String prefix = "Invalid value for option '" + option.longestName() + "': ";
      return from + ", setting '" + key(option) + "': "
          + (why.startsWith(prefix) ? why.substring(prefix.length()) : why);
    });
  }

  private static String key(OptionSpec option) {
    return option.longestName().replaceFirst("^--", "");
  }

  private Optional<Protocol> protocol(CommandSpec command, Map<String, String> file) {
    OptionSpec option = command.findOption(PROTOCOL);
    if (option == null) {
      return Optional.empty();
    }
    Object given = option.getValue();
    if (given instanceof Protocol protocol) {
      return Optional.of(protocol);
    }
    String named = file.get(key(option));
    // an unknown name is reported by picocli when it converts --protocol's own value
    return named == null ? Optional.empty() : KebabEnumConverter.find(Protocol.class, named);
  }

  private Map<String, String> file(CommandSpec command) {
    OptionSpec option = command.findOption(CONFIG);
    Path path = option == null ? null : option.getValue();
    if (path == null) {
      return Map.of();
    }
    if (!path.equals(loadedFrom)) {
      Map<String, String> settings = read(path);
      Set<String> keys = command.options().stream()
          .filter(o -> !o.usageHelp() && !o.versionHelp() && !o.longestName().equals(CONFIG))
          .map(ConfigFileDefaults::key)
          .collect(Collectors.toSet());
      for (String key : settings.keySet()) {
        if (!keys.contains(key)) {
          throw new ConfigFileException("config file " + path + ": unknown setting '" + key
              + "' (the keys are the long flag names of '" + command.qualifiedName() + "')");
        }
      }
      loaded = settings;
      loadedFrom = path;
    }
    return loaded;
  }

  /**
   * The settings of a configuration file as text.
   *
   * @throws ConfigFileException with a one-line message naming the file
   */
  static Map<String, String> read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigFileException("config file not found: " + file);
    }
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    try {
      return name.endsWith(".yaml") || name.endsWith(".yml") ? yaml(file) : properties(file);
    } catch (IOException e) {
      String why = e.getMessage() == null ? e.toString()
          : e.getMessage().lines().findFirst().orElse("");
      throw new ConfigFileException("cannot read config file " + file + ": " + why);
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
      throw new ConfigFileException("config file " + file + " must hold a mapping of settings");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      JsonNode value = entry.getValue();
      if (value.isNull()) {
        continue; // "key:" with nothing after it: not given
      }
      if (value.isObject()) {
        throw new ConfigFileException(
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
