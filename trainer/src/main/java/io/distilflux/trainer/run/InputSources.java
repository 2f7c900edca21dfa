package io.distilflux.trainer.run;

import io.distilflux.pipeline.event.InputFile;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.trainer.data.Checksums;
import io.distilflux.trainer.data.CifarSource;
import io.distilflux.trainer.data.Cifar10;
import io.distilflux.trainer.data.CsvSource;
import io.distilflux.trainer.data.DatasetSource;
import io.distilflux.trainer.data.Mnist;
import io.distilflux.trainer.data.MnistSource;
import io.distilflux.trainer.data.NpySource;
import io.distilflux.trainer.data.SyntheticData;
import io.distilflux.trainer.data.SyntheticSource;
import io.distilflux.trainer.teacher.LogitsFileTeacher;
import io.distilflux.trainer.teacher.NetworkFileTeacher;
import io.distilflux.trainer.teacher.TeacherCache;
import io.distilflux.trainer.teacher.TeacherSource;
import io.distilflux.trainer.teacher.TeacherTraining;
import io.distilflux.trainer.teacher.TrainedTeacher;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@link DatasetSource} and {@link TeacherSource} of a run's configuration: the one place
 * that maps a dataset kind, and the user's files recorded in {@link RunConfig#inputs()}, to
 * their implementations.
 */
public final class InputSources {

  /** Role of the CSV training file. */
  public static final String TRAIN = "train";
  /** Role of the CSV validation file. */
  public static final String VALIDATION = "validation";
  /** Role of the CSV test file. */
  public static final String TEST = "test";
  /** Roles of the NumPy files, features then labels per split. */
  public static final List<String> NPY_ROLES = List.of("train-x", "train-y", "validation-x",
      "validation-y", "test-x", "test-y");
  /** Role of a teacher network file (.zip or .h5). */
  public static final String TEACHER = "teacher";
  /** Role of a teacher logits file (.npy). */
  public static final String TEACHER_LOGITS = "teacher-logits";
  /** Role of a student configuration file (.json, .yaml). */
  public static final String STUDENT = "student";

  private InputSources() {}

  /** Where the data of a run with this configuration come from. */
  public static DatasetSource dataset(RunConfig config, DataOptions options) {
    return switch (config.dataset()) {
      case SYNTHETIC -> new SyntheticSource(SyntheticData.Config.paper()
          .withSizes(options.train(), options.validation(), options.test())
          .withValidationIsTest(config.validationIsTest()), config.dataSeed(), config.seed());
      case CIFAR10 -> {
        Cifar10.Sizes paper = Cifar10.Sizes.paper();
        yield new CifarSource(Path.of(config.dataDir()), new Cifar10.Sizes(
            orDefault(options.train(), paper.train()),
            orDefault(options.validation(), paper.validation()),
            orDefault(options.test(), paper.test())));
      }
      case MNIST -> {
        Mnist.Options defaults = Mnist.Options.defaults();
        yield new MnistSource(Path.of(config.dataDir()), new Mnist.Options(
            orDefault(options.train(), defaults.train()),
            orDefault(options.validation(), defaults.validation()),
            orDefault(options.test(), defaults.test()), defaults.standardize()));
      }
      case CSV -> new CsvSource(file(config, TRAIN), file(config, VALIDATION), file(config, TEST));
      case NPY -> new NpySource(
          new NpySource.Pair(file(config, NPY_ROLES.get(0)), file(config, NPY_ROLES.get(1))),
          new NpySource.Pair(file(config, NPY_ROLES.get(2)), file(config, NPY_ROLES.get(3))),
          new NpySource.Pair(file(config, NPY_ROLES.get(4)), file(config, NPY_ROLES.get(5))));
    };
  }

  /**
   * Where the teacher of a run with this configuration comes from: the user's logits or network
   * file, or else the registered architecture trained here (cached).
   *
   * @param synthetic the synthetic teacher's training
   */
  public static TeacherSource teacher(RunConfig config, DataOptions options, TeacherCache cache,
      TeacherTraining synthetic) {
    if (config.input(TEACHER_LOGITS).isPresent()) {
      return new LogitsFileTeacher(file(config, TEACHER_LOGITS));
    }
    if (config.input(TEACHER).isPresent()) {
      return new NetworkFileTeacher(file(config, TEACHER));
    }
    boolean drawn = config.dataset() == RunConfig.DatasetKind.SYNTHETIC;
    // a data seed fixes one data set (and its teacher) for every seed of the experiment
    long seed = drawn && config.dataSeed() != null ? config.dataSeed() : config.seed();
    return new TrainedTeacher(cache, config.teacher(), seed,
        drawn ? synthetic : TeacherTraining.images(options.teacherEpochs()));
  }

  /**
   * Checks that the user's files of a recorded configuration are still the ones the run read,
   * so a resumed run never continues on other data, teacher or student.
   *
   * @throws IllegalArgumentException naming the first file that is missing or changed
   */
  public static void verify(RunConfig config) {
    for (InputFile input : config.inputs()) {
      Path path = Path.of(input.path());
      if (!java.nio.file.Files.isRegularFile(path)) {
        throw new IllegalArgumentException("the " + input.role() + " file " + path
            + " of this run is gone");
      }
      String now = Checksums.hex(path, "SHA-256");
      if (!now.equals(input.sha256())) {
        throw new IllegalArgumentException("the " + input.role() + " file " + path
            + " changed since the run started (SHA-256 " + input.sha256().substring(0, 12)
            + "…, now " + now.substring(0, 12) + "…)");
      }
    }
  }

  private static Path file(RunConfig config, String role) {
    return config.input(role).map(InputFile::path).map(Path::of).orElseThrow(() ->
        new IllegalArgumentException("--dataset " + config.dataset().name().toLowerCase(
            java.util.Locale.ROOT) + " needs its " + role + " file"));
  }

  private static int orDefault(int value, int fallback) {
    return value > 0 ? value : fallback;
  }
}
