package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.trainer.docs.DocumentationReferencesTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The generated command-line reference and the help texts it is made of. */
class CliReferenceTest {

  @Test
  void committedReferenceMatchesTheCommandLine() throws IOException {
    String fresh = CliReference.markdown();
    Path target = Path.of("target", "cli.md");
    Files.createDirectories(target.getParent());
    Files.writeString(target, fresh, StandardCharsets.UTF_8);
    Path committed = DocumentationReferencesTest.repositoryRoot().resolve("docs/cli.md");
    String text = Files.isRegularFile(committed)
        ? Files.readString(committed, StandardCharsets.UTF_8) : "";
    assertTrue(fresh.equals(text),
        "docs/cli.md is stale (a fresh copy is in trainer/target/cli.md); regenerate it with: "
            + CliReference.REGENERATE);
  }

  @Test
  void everyOptionsHelpStatesItsDefault() {
    List<String> silent = new ArrayList<>();
    for (CommandLine command : commands(new CommandLine(new Distilflux()))) {
      for (OptionSpec option : command.getCommandSpec().options()) {
        if (option.usageHelp() || option.versionHelp() || option.required() || option.hidden()) {
          continue;
        }
        String help = String.join(" ", option.description()).toLowerCase(Locale.ROOT);
        if (!help.contains("default")) {
          silent.add(command.getCommandSpec().qualifiedName() + " " + option.longestName());
        }
      }
    }
    assertEquals(List.of(), silent, "options whose --help does not say their default");
  }

  @Test
  void commandListShowsEachCommandsSummaryWhole() {
    CliOutcome help = CliOutcome.execute("--help");
    assertEquals(0, help.exitCode());
    String shown = help.out().replaceAll("\\s+", " ");
    for (CommandLine command : new CommandLine(new Distilflux()).getSubcommands().values()) {
      CommandSpec spec = command.getCommandSpec();
      // picocli lists a command by the first line of its header, else of its description
      String[] header = spec.usageMessage().header();
      String summary = (header.length > 0 ? header : spec.usageMessage().description())[0]
          .replace("%n", " ").strip();
      assertTrue(summary.endsWith("."), spec.name() + ": summary is not a sentence: " + summary);
      assertTrue(shown.contains(summary.replaceAll("\\s+", " ")),
          spec.name() + ": --help cuts the summary '" + summary + "'");
    }
  }

  private static List<CommandLine> commands(CommandLine root) {
    List<CommandLine> all = new ArrayList<>(List.of(root));
    for (CommandLine sub : root.getSubcommands().values()) {
      all.addAll(commands(sub));
    }
    return all;
  }
}
