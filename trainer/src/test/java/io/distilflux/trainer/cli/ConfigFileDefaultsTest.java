package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --config FILE}: YAML or properties under the flags, above the protocol and defaults. */
class ConfigFileDefaultsTest {

  @TempDir Path dir;

  @Test
  void flagsOverrideTheYamlFileWhichOverridesTheDefaults() throws Exception {
    Path yaml = write("exp.yaml",
        "dataset: synthetic\nmini-epoch: 20\nmodes: [forecast, fixed]\nseeds: 2\nlambda2: 0.5\n");
    ExperimentSpec spec = RunOptions.parse(Map.of("config", yaml.toString(), "seeds", "3"));
    assertEquals(20, spec.base().miniEpoch(), "from the file");
    assertEquals(List.of(Mode.FORECAST, Mode.FIXED), spec.modes(), "a YAML list");
    assertEquals(0.5, spec.fixedMeta().lambda2(), 1e-12, "from the file");
    assertEquals(3, spec.seeds().size(), "the flag wins over the file");
    assertEquals(2, spec.base().forecastEvery(), "neither: the option's default");
  }

  @Test
  void aPropertiesFileSetsTypedValues() throws Exception {
    Path properties = write("exp.properties",
        "mini-epoch=7\niterations=300\nvalidation-is-test=true\ndivergence=reverse\n");
    ExperimentSpec spec = RunOptions.parse(Map.of("config", properties.toString()));
    assertEquals(7, spec.base().miniEpoch());
    assertEquals(300, spec.base().steps());
    assertTrue(spec.base().validationIsTest());
    assertEquals(RunConfig.Divergence.REVERSE, spec.base().divergence());
    ExperimentSpec overridden = RunOptions.parse(Map.of("config", properties.toString(),
        "iterations", "400", "validation-is-test", "false"));
    assertEquals(400, overridden.base().steps());
    assertEquals(false, overridden.base().validationIsTest());
  }

  @Test
  void theDatasetOfTheFileChoosesTheDatasetDefaults() throws Exception {
    Path yaml = write("mnist.yaml", "dataset: mnist\nepochs: 3\n");
    ExperimentSpec spec = RunOptions.parse(Map.of("config", yaml.toString()));
    assertEquals(RunConfig.DatasetKind.MNIST, spec.base().dataset());
    assertEquals(3, spec.base().epochs(), "from the file");
    assertEquals(new DatasetDefaults.Mnist().evaluateEvery(), spec.base().evaluateEvery());
    assertEquals(new DatasetDefaults.Mnist().miniEpoch(), spec.base().miniEpoch());
  }

  @Test
  void theFileOverridesTheProtocolItNamesAndFlagsOverrideBoth() throws Exception {
    Path yaml = write("paper.yaml", "protocol: paper\nmini-epoch: 20\nseeds: 4\n");
    ExperimentSpec spec = RunOptions.parse(Map.of("config", yaml.toString(), "seeds", "3"));
    assertEquals(20, spec.base().miniEpoch(), "the file over the protocol's 10");
    assertEquals(3, spec.seeds().size(), "the flag over the file and the protocol");
    assertEquals(42L, spec.base().dataSeed(), "the protocol over the default");
    assertEquals(RunConfig.OptimizerKind.NORMALIZED, spec.base().metaOptimizer());
  }

  @Test
  void aBadValueInTheFileNamesTheFileAndTheSetting() throws Exception {
    Path yaml = write("bad.yaml", "seeds: five\n");
    CliOutcome outcome = CliOutcome.execute("run", "--config", yaml.toString());
    assertOneLine(outcome, "config file " + yaml + ", setting 'seeds': 'five' is not an int");

    Path properties = write("bad.properties", "dataset=imagenet\n");
    assertOneLine(CliOutcome.execute("run", "--config", properties.toString()),
        "config file " + properties + ", setting 'dataset': unknown value 'imagenet'"
            + " (one of synthetic, cifar10, mnist, csv, npy)");

    Path outOfBounds = write("bounds.yaml", "mini-epoch: 1\n");
    assertOneLine(CliOutcome.execute("experiment", "synthetic", "--config", outOfBounds.toString()),
        "--mini-epoch must be in [2, 1000000], got 1 (config file " + outOfBounds + ")");
  }

  @Test
  void aBadFlagIsNotBlamedOnTheFile() throws Exception {
    Path yaml = write("fine.yaml", "seeds: 2\n");
    CliOutcome outcome = CliOutcome.execute("run", "--config", yaml.toString(), "--seeds", "x");
    assertOneLine(outcome, "Invalid value for option '--seeds': 'x' is not an int"
        + " (see 'distilflux run --help')");
  }

  @Test
  void aSettingNoFlagHasIsRejectedWithTheFileNamed() throws Exception {
    Path yaml = write("typo.yaml", "mini_epoch: 3\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RunOptions.parse(Map.of("config", yaml.toString())));
    assertEquals("config file " + yaml + ": unknown setting 'mini_epoch' (the keys are the long"
        + " flag names of 'run')", e.getMessage());
    Path schedules = write("schedules.yaml", "schedules: 10:2\n");
    assertThrows(IllegalArgumentException.class,
        () -> RunOptions.parse(Map.of("config", schedules.toString())),
        "--schedules is a flag of experiment, not of run");
  }

  @Test
  void aMissingOrMalformedFileIsOneClearLine() throws Exception {
    Path missing = dir.resolve("nope.yaml");
    assertOneLine(CliOutcome.execute("run", "--config", missing.toString()),
        "config file not found: " + missing);
    Path broken = write("broken.yaml", "mini-epoch: [1, \n");
    CliOutcome outcome = CliOutcome.execute("run", "--config", broken.toString());
    assertEquals(2, outcome.exitCode());
    assertEquals(1, outcome.errLines().size(), outcome.err());
    assertTrue(outcome.errLines().get(0).startsWith("distilflux: cannot read config file " + broken),
        outcome.err());
    Path nested = write("nested.yaml", "mini-epoch:\n  value: 3\n");
    assertOneLine(CliOutcome.execute("run", "--config", nested.toString()),
        "config file " + nested + ": setting 'mini-epoch' must be a value or a list");
  }

  private Path write(String name, String text) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, text);
    return file;
  }

  private static void assertOneLine(CliOutcome outcome, String message) {
    assertEquals(2, outcome.exitCode(), outcome.err());
    assertEquals(List.of("distilflux: " + message), outcome.errLines());
  }
}
