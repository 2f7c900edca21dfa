package io.distilflux.trainer.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Writes the command-line reference, {@code docs/cli.md}, from the picocli model of
 * {@link Distilflux}: every command with its description, positional parameters and options
 * (names, value, type, default, help). Generated rather than written, so it cannot drift from
 * the code; a test compares the committed page with a fresh one.
 *
 * <p>Usage: {@code java -cp trainer/target/distilflux.jar io.distilflux.trainer.cli.CliReference
 * docs/cli.md}
 */
public final class CliReference {

  /** The command that regenerates the committed page, from the repository root. */
  public static final String REGENERATE =
      "./mvnw -B -q package -DskipTests && java -cp trainer/target/distilflux.jar "
          + "io.distilflux.trainer.cli.CliReference docs/cli.md";

  private CliReference() {}

  /** Writes the reference to the file given as the only argument. */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("distilflux: usage: CliReference FILE");
      System.exit(2);
    }
    Path target = Path.of(args[0]);
    Files.writeString(target, markdown(), StandardCharsets.UTF_8);
    System.out.println("wrote " + target);
  }

  /** The reference as Markdown. */
  public static String markdown() {
    CommandLine root = new CommandLine(new Distilflux());
    StringBuilder out = new StringBuilder();
    out.append("# Command-line reference\n\n")
        .append("Generated from the command line's own definitions; do not edit by hand. ")
        .append("Regenerate with\n`").append(REGENERATE).append("`.\n")
        .append("What the commands are for, with examples: [commands.md](commands.md).\n\n")
        .append("Every command also takes `-h`, `--help` (show its help and exit) and `-V`, ")
        .append("`--version`; `distilflux help COMMAND` shows a command's help.\n");
    command(root, out);
    return out.toString();
  }

  private static void command(CommandLine commandLine, StringBuilder out) {
    CommandSpec spec = commandLine.getCommandSpec();
    out.append("\n## `").append(spec.qualifiedName()).append("`\n\n");
    for (String paragraph : spec.usageMessage().description()) {
      out.append(paragraph.strip()).append("\n\n");
    }
    List<PositionalParamSpec> positionals = spec.positionalParameters().stream()
        .filter(p -> !p.hidden())
        .toList();
    if (!positionals.isEmpty()) {
      out.append("| parameter | type | help |\n|---|---|---|\n");
      for (PositionalParamSpec p : positionals) {
        out.append("| `").append(cell(p.paramLabel())).append("` | ").append(type(p))
            .append(" | ").append(help(p)).append(" |\n");
      }
      out.append('\n');
    }
    List<OptionSpec> options = spec.options().stream()
        .filter(o -> !o.hidden() && !o.usageHelp() && !o.versionHelp())
        .toList();
    if (!options.isEmpty()) {
      out.append("| option | type | default | help |\n|---|---|---|---|\n");
      for (OptionSpec o : options) {
        String names = String.join(", ", o.names());
        String value = o.arity().max() == 0 ? "" : "=" + o.paramLabel();
        String fallback = o.defaultValue() != null ? "`" + cell(o.defaultValue()) + "`"
            : o.required() ? "required"
            : o.arity().max() == 0 ? "`false`" : "";
        out.append("| `").append(cell(names + value)).append("` | ").append(type(o))
            .append(" | ").append(fallback).append(" | ").append(help(o)).append(" |\n");
      }
    }
    for (CommandLine sub : commandLine.getSubcommands().values()) {
      // picocli's own help command is described in the introduction
      if (!sub.getCommandSpec().usageMessage().hidden()
          && !(sub.getCommand() instanceof CommandLine.HelpCommand)) {
        command(sub, out);
      }
    }
  }

  /** The value's type: a Java type, primitive for the nullable numbers, an enum's values. */
  private static String type(ArgSpec arg) {
    Class<?> type = arg.type();
    if (type.isEnum()) {
      return String.join(" \\| ", Arrays.stream(type.getEnumConstants())
          .map(constant -> "`" + KebabEnumConverter.name((Enum<?>) constant) + "`").toList());
    }
    String name = type.isArray() ? type.getComponentType().getSimpleName() + "…"
        : List.class.isAssignableFrom(type) || type == ModeList.class ? "list"
        : type == Integer.class ? "int"
        : type == Long.class ? "long"
        : type == Double.class ? "double"
        : type.getSimpleName();
    return "`" + name + "`";
  }

  private static String help(ArgSpec arg) {
    return cell(String.join(" ", arg.description()).strip());
  }

  /** Text safe inside a Markdown table cell. */
  private static String cell(String text) {
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ");
  }
}
