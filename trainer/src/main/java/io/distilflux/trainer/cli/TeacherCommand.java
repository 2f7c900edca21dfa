package io.distilflux.trainer.cli;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.trainer.run.DataOptions;
import io.distilflux.trainer.run.PreparedData;
import io.distilflux.trainer.run.RunData;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code distilflux teacher}: trains a teacher and caches it with its logits on D_train. */
@Command(name = "teacher", mixinStandardHelpOptions = true,
    description = {
      "Trains the teacher of a dataset, or finds it in the cache.",
      "The teacher is stored with its logits on the student's training set under OUTPUT/teachers, keyed by dataset, architecture and seed, so student runs never retrain it."
    })
final class TeacherCommand implements Callable<Integer> {

  @Option(names = "--dataset", paramLabel = "NAME", defaultValue = "synthetic",
      converter = KebabEnumConverter.Datasets.class,
      description = "synthetic, cifar10, mnist, or the user's files: csv or npy (default ${DEFAULT-VALUE}).")
  RunConfig.DatasetKind dataset;

  @Mixin DataFileOptions dataFiles = new DataFileOptions();

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder of the dataset files (default: cifar10 data/cifar-10-batches-bin, mnist data/mnist).")
  Path dataDir;

  @Option(names = "--teacher", paramLabel = "ARCH", description = "Teacher architecture (default: synthetic logreg, cifar10 cifar-tiny, mnist mnist-mlp, csv mnist-mlp, npy mnist-mlp).")
  String teacher;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--teacher-epochs", paramLabel = "N", description = "Epochs of training, all but synthetic, 1 to 100000 (default: cifar10 30, mnist 5, csv 5, npy 5).")
  Integer teacherEpochs;

  @Option(names = "--output", paramLabel = "DIR", defaultValue = "runs",
      description = "Folder holding the teacher cache (default ${DEFAULT-VALUE}).")
  Path output;

  @Override
  public Integer call() {
    // the run's own resolution gives the dataset's defaults and checks the values
    Map<String, String> flags = new LinkedHashMap<>();
    flags.put("dataset", KebabEnumConverter.name(dataset));
    flags.put("first-seed", Long.toString(seed));
    flags.put("output", output.toString());
    flags.putAll(dataFiles.flags());
    if (dataDir != null) {
      flags.put("data-dir", dataDir.toString());
    }
    if (teacher != null) {
      flags.put("teacher", teacher);
    }
    if (teacherEpochs != null) {
      flags.put("teacher-epochs", teacherEpochs.toString());
    }
    ExperimentSpec spec = RunOptions.parse(flags);
    RunConfig config = spec.configFor(RunConfig.Mode.NO_DISTILLATION, spec.seeds().get(0),
        spec.base().steps());
    PreparedData prepared = new RunData(
        new DataOptions(spec.splits().train(), spec.splits().validation(), spec.splits().test(),
            spec.teacherEpochs(), spec.teacherSteps(), spec.outputDir().resolve("teachers")))
        .prepare(config);
    System.out.println(prepared.description());
    System.out.println("teacher cache entry: " + prepared.teacher().entry());
    return 0;
  }
}
