package io.distilflux.trainer.run;

import io.distilflux.pipeline.event.InputFile;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.trainer.data.DatasetSource;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.model.StudentArchitectures;
import io.distilflux.trainer.model.StudentFile;
import io.distilflux.trainer.teacher.TeacherCache;
import io.distilflux.trainer.teacher.TeacherSource;
import io.distilflux.trainer.teacher.TeacherTraining;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What runs are made of before any of them talks to a bus: their data sets and teachers' logits
 * (loaded or trained on first use, once per data set — per seed or data seed for the synthetic
 * data, which is drawn from it — and shared by every run that uses it) and their students. Safe
 * to use from several threads, so the data can load while the services start.
 */
public final class RunData {

  private final DataOptions options;
  private final StudentArchitectures students = StudentArchitectures.withDefaults();
  private final Map<String, PreparedData> prepared = new ConcurrentHashMap<>();

  /** Nothing is loaded until a run's configuration asks for it. */
  public RunData(DataOptions options) {
    this.options = options;
  }

  /**
   * The data and teacher of a run with this configuration, loaded or trained on first use.
   *
   * @throws io.distilflux.trainer.data.DataFileException for a missing or malformed data file
   */
  public PreparedData prepare(RunConfig config) {
    String key = config.dataset() != RunConfig.DatasetKind.SYNTHETIC ? "files"
        : config.dataSeed() != null ? "data-seed " + config.dataSeed() : "seed " + config.seed();
    return prepared.computeIfAbsent(key, k -> load(config));
  }

  /** Steps of a run: iterations for synthetic data, epochs × batches per epoch otherwise. */
  public long stepsFor(RunConfig config) {
    if (config.dataset() == RunConfig.DatasetKind.SYNTHETIC) {
      return config.steps();
    }
    int n = prepare(config).data().studentTrain().size();
    int batchSize = config.batchSize();
    return (long) config.epochs() * (batchSize <= 0 ? 1 : (n + batchSize - 1) / batchSize);
  }

  /**
   * An estimate of one student step's compute: the multiply-adds of a forward pass counting each
   * parameter once per example of the batch. Exact for dense layers; a convolution reuses its
   * weights over the image, so its true count is higher and the estimate errs toward less work.
   */
  public long multiplyAddsPerStep(RunConfig config) {
    Split train = prepare(config).data().studentTrain();
    var student = student(config, train.features(), prepare(config).data().classes());
    long batch = config.batchSize() <= 0 ? train.size() : Math.min(config.batchSize(), train.size());
    return student.numParams() * batch;
  }

  /** A new student for a run: a registered architecture, or the user's configuration file. */
  MultiLayerNetwork student(RunConfig config, INDArray features, int classes) {
    long[] featureShape = Arrays.copyOfRange(features.shape(), 1, features.rank());
    Optional<InputFile> file = config.input(InputSources.STUDENT);
    if (file.isEmpty()) {
      return students.create(config.student(), featureShape, classes, config.seed(),
          DataType.FLOAT);
    }
    MultiLayerNetwork network = new MultiLayerNetwork(new StudentFile(Path.of(file.get().path()))
        .build(featureShape, classes, config.seed(), DataType.FLOAT));
    try {
      network.init();
      // one example through the network: a student built for other inputs fails here, once,
      // with the file named, rather than in every run's first step
      network.output(features.get(NDArrayIndex.interval(0, 1)), false);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("student " + file.get().path()
          + " does not fit the data's examples " + Arrays.toString(featureShape) + ": "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
    }
    return network;
  }

  private PreparedData load(RunConfig config) {
    DatasetSource.Loaded loaded = InputSources.dataset(config, options).load();
    TeacherSource teacher = InputSources.teacher(config, options,
        new TeacherCache(options.teacherCache()), syntheticTeacherTraining());
    return new PreparedData(loaded.data(), teacher.logitsFor(loaded), teacher.describe());
  }

  /** The reference's synthetic teacher training, with fewer steps when asked (quick runs). */
  private TeacherTraining syntheticTeacherTraining() {
    TeacherTraining reference = TeacherTraining.synthetic();
    return options.teacherSteps() > 0
        ? new TeacherTraining(options.teacherSteps(), reference.batchSize(), reference.learningRate())
        : reference;
  }
}
