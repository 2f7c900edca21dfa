package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.DatasetKind;
import io.distilflux.trainer.memory.NativeMemoryReclaimer;
import io.distilflux.trainer.teacher.TeacherTraining;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** The flags whose default depends on {@code --dataset}, resolved and documented per dataset. */
class DatasetDefaultsTest {

  private static final List<DatasetKind> IMAGES = List.of(DatasetKind.CIFAR10, DatasetKind.MNIST);
  private static final List<DatasetKind> ALL = List.of(DatasetKind.values());
  private static final List<DatasetKind> EPOCHS = List.of(DatasetKind.CIFAR10, DatasetKind.MNIST,
      DatasetKind.CSV, DatasetKind.NPY);

  /** Each dataset-dependent flag, the datasets it applies to, and its default there. */
  private record Dependent(String flag, List<DatasetKind> datasets,
      Function<DatasetDefaults, Object> value) {}

  private static final List<Dependent> DEPENDENT = List.of(
      new Dependent("--epochs", EPOCHS, DatasetDefaults::epochs),
      new Dependent("--batch-size", ALL, DatasetDefaults::batchSize),
      new Dependent("--optimizer", ALL, d -> KebabEnumConverter.name(d.optimizer())),
      new Dependent("--lr", ALL, DatasetDefaults::lr),
      new Dependent("--mini-epoch", ALL, DatasetDefaults::miniEpoch),
      new Dependent("--evaluate-every", ALL, DatasetDefaults::evaluateEvery),
      new Dependent("--teacher-epochs", EPOCHS, DatasetDefaults::teacherEpochs),
      new Dependent("--teacher", ALL, DatasetDefaults::teacher),
      new Dependent("--student", ALL, DatasetDefaults::student),
      new Dependent("--data-dir", IMAGES, DatasetDefaults::dataDir),
      new Dependent("--meta-optimizer", ALL, d -> KebabEnumConverter.name(d.meta().rule())),
      new Dependent("--meta-lr", ALL, d -> d.meta().lr()),
      new Dependent("--meta-clip", ALL, d -> d.meta().clip()),
      new Dependent("--divergence", ALL, d -> KebabEnumConverter.name(d.meta().divergence())),
      new Dependent("--unrolled-derivative", ALL,
          d -> KebabEnumConverter.name(d.meta().unrolled())));

  @Test
  void eachDatasetResolvesItsOwnDefaults() {
    // csv and npy need their files: UserInputsTest checks their defaults
    for (DatasetKind dataset : List.of(DatasetKind.SYNTHETIC, DatasetKind.CIFAR10,
        DatasetKind.MNIST)) {
      DatasetDefaults d = DatasetDefaults.of(dataset);
      RunConfig base = RunOptions.parse(Map.of("dataset", name(dataset))).base();
      assertEquals(d.optimizer(), base.innerOptimizer(), dataset + " optimizer");
      assertEquals(d.lr(), base.innerLearningRate(), dataset + " lr");
      assertEquals(d.miniEpoch(), base.miniEpoch(), dataset + " mini-epoch");
      assertEquals(d.evaluateEvery(), base.evaluateEvery(), dataset + " evaluate-every");
      assertEquals(d.batchSize(), base.batchSize(), dataset + " batch-size");
      assertEquals(d.teacher(), base.teacher(), dataset + " teacher");
      assertEquals(d.student(), base.student(), dataset + " student");
      assertEquals(d.dataDir(), base.dataDir(), dataset + " data-dir");
      assertEquals(d.meta(), new DatasetDefaults.Meta(base.metaOptimizer(),
          base.metaLearningRate(), base.metaClip(), base.divergence(),
          base.unrolledDerivative()), dataset + " meta-optimizer settings");
      if (dataset != DatasetKind.SYNTHETIC) {
        assertEquals(d.epochs(), base.epochs(), dataset + " epochs");
      }
    }
    assertEquals(100, DatasetDefaults.of(DatasetKind.CIFAR10).epochs(), "the paper's");
    assertEquals(10, DatasetDefaults.of(DatasetKind.MNIST).epochs());
  }

  @Test
  void flagsOverrideTheDatasetsDefaults() {
    RunConfig base = RunOptions.parse(Map.of("dataset", "cifar10", "epochs", "3", "lr", "0.01",
        "optimizer", "sgd", "mini-epoch", "4", "evaluate-every", "7")).base();
    assertEquals(3, base.epochs());
    assertEquals(0.01, base.innerLearningRate());
    assertEquals(RunConfig.OptimizerKind.SGD, base.innerOptimizer());
    assertEquals(4, base.miniEpoch());
    assertEquals(7, base.evaluateEvery());
  }

  @Test
  void theHelpOfEachDependentFlagStatesEachDatasetsDefault() {
    CommandSpec run = new CommandLine(new Distilflux()).getSubcommands().get("run")
        .getCommandSpec();
    for (Dependent dependent : DEPENDENT) {
      String help = String.join(" ", run.findOption(dependent.flag()).description());
      for (DatasetKind dataset : dependent.datasets()) {
        String stated = name(dataset) + " " + dependent.value().apply(DatasetDefaults.of(dataset));
        assertTrue(help.contains(stated), dependent.flag() + ": '" + help + "' does not say '"
            + stated + "'");
      }
    }
  }

  @Test
  void defaultsWrittenOnTheOptionsMatchTheConstantsTheyStandFor() {
    ExperimentSpec spec = RunOptions.parse(Map.of());
    assertEquals(TeacherTraining.synthetic().epochs(), spec.teacherSteps());
    assertEquals(ExperimentSpec.LongRun.DEFAULT_FINAL_SCRAPE_WAIT, spec.longRun().finalScrapeWait());
    assertEquals(NativeMemoryReclaimer.DEFAULT_PERIOD, spec.longRun().reclaimEvery());
  }

  private static String name(DatasetKind dataset) {
    return dataset.name().toLowerCase(Locale.ROOT);
  }
}
