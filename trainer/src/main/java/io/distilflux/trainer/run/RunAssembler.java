package io.distilflux.trainer.run;

import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Cifar10;
import io.distilflux.trainer.data.DistillationData;
import io.distilflux.trainer.data.MiniBatches;
import io.distilflux.trainer.data.Mnist;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.data.SyntheticData;
import io.distilflux.trainer.data.ValidationSampler;
import io.distilflux.trainer.distill.DistillationTrainer;
import io.distilflux.trainer.model.StudentArchitectures;
import io.distilflux.trainer.teacher.TeacherCache;
import io.distilflux.trainer.teacher.TeacherResult;
import io.distilflux.trainer.teacher.TeacherTraining;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds {@link StudentRun}s: loads the data and the teacher's logits (once per dataset, or per
 * seed for the synthetic data, which is drawn from the run's seed), creates the student and its
 * trainer, and picks the {@link MetaSource} of the run's mode.
 */
public final class RunAssembler {

  private final DataOptions options;
  private final EventBus bus;
  private final Topics topics;
  private final Duration metaTimeout;
  private final Provenance provenance;
  private final StudentArchitectures students = StudentArchitectures.withDefaults();
  private final Map<Long, PreparedData> prepared = new ConcurrentHashMap<>();

  /**
   * @param bus where optimised runs read their meta-parameters from
   * @param metaTimeout how long a run waits for an update or a forecast
   */
  public RunAssembler(DataOptions options, EventBus bus, Topics topics, Duration metaTimeout,
      Provenance provenance) {
    this.options = options;
    this.bus = bus;
    this.topics = topics;
    this.metaTimeout = metaTimeout;
    this.provenance = provenance;
  }

  /** The name of the ND4J backend in use, for provenance. */
  public static String backendName() {
    return Nd4j.getBackend().getClass().getSimpleName();
  }

  /**
   * The data and teacher of a run with this configuration, loaded or trained on first use.
   *
   * @throws io.distilflux.trainer.data.DataFileException for a missing or malformed data file
   */
  public PreparedData prepare(RunConfig config) {
    long key = config.dataset() == RunConfig.DatasetKind.SYNTHETIC ? config.seed() : 0;
    return prepared.computeIfAbsent(key, k -> load(config));
  }

  /** Steps of a run: iterations for synthetic data, epochs × batches per epoch otherwise. */
  public long stepsFor(RunConfig config) {
    if (config.dataset() == RunConfig.DatasetKind.SYNTHETIC) {
      return config.steps();
    }
    int n = prepare(config).data().studentTrain().size();
    return (long) config.epochs() * batchesPerEpoch(n, config.batchSize());
  }

  /** A run, ready to be subscribed to. */
  public StudentRun assemble(String runId, RunConfig config) {
    PreparedData data = prepare(config);
    DistillationData d = data.data();
    Split train = d.studentTrain();
    long[] shape = train.features().shape();
    var student = students.create(config.student(), Arrays.copyOfRange(shape, 1, shape.length),
        d.classes(), config.seed(), DataType.FLOAT);
    DistillationTrainer trainer = new DistillationTrainer(student, config.innerOptimizer(),
        config.innerLearningRate(), config.temperatureSquared());
    int batchSize = config.batchSize() <= 0 ? train.size() : config.batchSize();
    MiniBatches batches = new MiniBatches(train, data.teacher().logits(), batchSize, config.seed());
    ValidationSampler sampler = new ValidationSampler(d.validation(),
        config.batchSize() <= 0 ? d.validation().size() : config.batchSize(), config.seed());
    LongFunction<Split> validationBatch = sampler::draw;
    return new StudentRun(runId, config, trainer, epochs(batches, config.steps()),
        batches.batchesPerEpoch(), validationBatch, d.validation(), d.test(),
        metaSource(runId, config), metaTimeout, provenance);
  }

  private MetaSource metaSource(String runId, RunConfig config) {
    return switch (config.mode()) {
      case NO_DISTILLATION -> FixedMetaSource.noDistillation();
      case FIXED, RANDOM -> FixedMetaSource.fixed(config.initial());
      case HYPERGRADIENT, FORECAST ->
          new StreamedMetaSource(bus, topics, runId, config, config.initial());
    };
  }

  /** Batches of consecutive epochs, {@code steps} of them in all. */
  private static Iterator<Batch> epochs(MiniBatches batches, long steps) {
    return new Iterator<>() {
      long produced;
      long epoch;
      Iterator<Batch> current = batches.epoch(0);

      @Override
      public boolean hasNext() {
        return produced < steps;
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        if (!current.hasNext()) {
          current = batches.epoch(++epoch);
        }
        produced++;
        return current.next();
      }
    };
  }

  private static int batchesPerEpoch(int n, int batchSize) {
    return batchSize <= 0 ? 1 : (n + batchSize - 1) / batchSize;
  }

  private PreparedData load(RunConfig config) {
    TeacherCache cache = new TeacherCache(options.teacherCache());
    return switch (config.dataset()) {
      case SYNTHETIC -> {
        SyntheticData.Config sizes = SyntheticData.Config.paper();
        sizes = new SyntheticData.Config(sizes.teacherTrain(),
            orDefault(options.train(), sizes.studentTrain()),
            orDefault(options.validation(), sizes.validation()),
            orDefault(options.test(), sizes.test()), config.validationIsTest());
        SyntheticData.Generated generated = SyntheticData.generate(sizes, config.seed());
        TeacherResult teacher = cache.logitsFor(generated.data(), generated.teacherViewOfTest(),
            config.teacher(), config.seed(), syntheticTeacherTraining());
        yield new PreparedData(generated.data(), teacher);
      }
      case CIFAR10 -> {
        DistillationData data = loadCifar(Path.of(config.dataDir()));
        yield new PreparedData(data, cache.logitsFor(data, config.teacher(), config.seed(),
            TeacherTraining.images(options.teacherEpochs())));
      }
      case MNIST -> {
        Mnist.Options defaults = Mnist.Options.defaults();
        DistillationData data = Mnist.fromFolder(Path.of(config.dataDir()), new Mnist.Options(
            orDefault(options.train(), defaults.train()),
            orDefault(options.validation(), defaults.validation()),
            orDefault(options.test(), defaults.test()), defaults.standardize()));
        yield new PreparedData(data, cache.logitsFor(data, config.teacher(), config.seed(),
            TeacherTraining.images(options.teacherEpochs())));
      }
    };
  }

  /**
   * The official layout ({@code data_batch_1.bin} … {@code test_batch.bin}) with the paper's
   * split, or, in a folder holding only parts of the batches, the scaled protocol: student
   * training set = the {@code data_batch_1*} files, validation = {@code data_batch_2*} …
   * {@code data_batch_5*}, test = {@code test_batch*}.
   */
  private DistillationData loadCifar(Path folder) {
    if (Files.isRegularFile(folder.resolve("data_batch_1.bin"))) {
      Cifar10.Sizes paper = Cifar10.Sizes.paper();
      return Cifar10.fromFolder(folder, new Cifar10.Sizes(orDefault(options.train(), paper.train()),
          orDefault(options.validation(), paper.validation()), orDefault(options.test(), paper.test())));
    }
    List<Path> train = binFiles(folder, "data_batch_1");
    List<Path> validation = Stream.of("data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5")
        .flatMap(prefix -> binFiles(folder, prefix).stream()).toList();
    List<Path> test = binFiles(folder, "test_batch");
    return Cifar10.fromFiles(train, validation, test);
  }

  private static List<Path> binFiles(Path folder, String prefix) {
    if (!Files.isDirectory(folder)) {
      throw new IllegalArgumentException("CIFAR-10 folder not found: " + folder);
    }
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(p -> p.getFileName().toString().startsWith(prefix)
              && p.getFileName().toString().endsWith(".bin"))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder + ": " + e.getMessage(), e);
    }
  }

  /** The reference's synthetic teacher training, with fewer steps when asked (quick runs). */
  private TeacherTraining syntheticTeacherTraining() {
    TeacherTraining reference = TeacherTraining.synthetic();
    return options.teacherSteps() > 0
        ? new TeacherTraining(options.teacherSteps(), reference.batchSize(), reference.learningRate())
        : reference;
  }

  private static int orDefault(int value, int fallback) {
    return value > 0 ? value : fallback;
  }
}
