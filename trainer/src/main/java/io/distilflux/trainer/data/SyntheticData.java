package io.distilflux.trainer.data;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The synthetic experiment of method.md §5: x1, x2 ~ N(0,1), y = (sign(x1·x2 + 0.5·ε) + 1)/2,
 * features [x1, x2, 1{sign(x1)+sign(x2) > 0.1}, x1·x2]. The teacher sees features 0,1,2, the
 * student features 0,1,3. Two generators: {@link #generate} draws from one seeded {@link Random}
 * in a fixed order (teacher set, student train, validation, test), one data set per seed;
 * {@link #notebook} draws as the reference notebook does, with numpy's legacy generator, so
 * that data seed 42 gives the notebook's arrays.
 */
public final class SyntheticData {

  /** Number of classes (binary labels). */
  public static final int CLASSES = 2;

  /**
   * Sizes and the validation choice.
   *
   * @param teacherTrain samples the teacher is trained on (paper: 200)
   * @param studentTrain D_train (paper: 15)
   * @param validation D_val (paper: 15); ignored when {@code validationIsTest}
   * @param test D_test (paper: 200)
   * @param validationIsTest the paper's choice: use the test set as validation set
   */
  public record Config(
      int teacherTrain, int studentTrain, int validation, int test, boolean validationIsTest) {

    /** Checks that every size is positive. */
    public Config {
      requirePositive("teacherTrain", teacherTrain);
      requirePositive("studentTrain", studentTrain);
      requirePositive("test", test);
      if (!validationIsTest) {
        requirePositive("validation", validation);
      }
    }

    /** The paper's sizes (200 / 15 / 15 / 200) with a separate validation set. */
    public static Config paper() {
      return new Config(200, 15, 15, 200, false);
    }

    /** The same sizes with the validation set replaced by the test set, as the paper did. */
    public Config withValidationIsTest(boolean value) {
      return new Config(teacherTrain, studentTrain, validation, test, value);
    }

    /** The same with other student-train, validation and test sizes; 0 keeps a size. */
    public Config withSizes(int studentTrainSize, int validationSize, int testSize) {
      return new Config(teacherTrain, studentTrainSize > 0 ? studentTrainSize : studentTrain,
          validationSize > 0 ? validationSize : validation, testSize > 0 ? testSize : test,
          validationIsTest);
    }

    private static void requirePositive(String field, int value) {
      if (value <= 0) {
        throw new IllegalArgumentException("synthetic " + field + " must be > 0, got " + value);
      }
    }
  }

  /**
   * The generated data plus the teacher's view of the test set (features 0,1,2 of the test
   * samples), which {@link DistillationData} has no slot for but the teacher's test accuracy needs.
   *
   * @param data the distillation data
   * @param teacherViewOfTest test samples with the teacher's features
   */
  public record Generated(DistillationData data, Split teacherViewOfTest) {}

  private SyntheticData() {}

  /** Generates the data for a seed (the reference notebook uses 42). */
  public static Generated generate(Config config, long seed) {
    Random random = new Random(seed);
    Raw teacher = Raw.draw(random, config.teacherTrain());
    Raw train = Raw.draw(random, config.studentTrain());
    Raw validation = config.validationIsTest() ? null : Raw.draw(random, config.validation());
    Raw test = Raw.draw(random, config.test());
    return assemble(config, teacher, train, validation, test, "synthetic seed=" + seed);
  }

  /**
   * The reference notebook's data for {@code np.random.seed(dataSeed)}: {@code x =
   * randn(total, 2)}, then {@code noise = randn(total)}, total = teacher + student train +
   * validation + test rows in that order (the validation rows are drawn even when the test set
   * serves as validation set, as in the notebook); the splits are consecutive rows.
   *
   * @throws IllegalArgumentException for a data seed outside [0, 2³² − 1]
   */
  public static Generated notebook(Config config, long dataSeed) {
    NumpyRandom random = new NumpyRandom(dataSeed);
    int total = config.teacherTrain() + config.studentTrain() + config.validation()
        + config.test();
    double[] x = random.standardNormals(2 * total);
    double[] noise = random.standardNormals(total);
    int at = 0;
    Raw teacher = Raw.of(x, noise, at, config.teacherTrain());
    at += config.teacherTrain();
    Raw train = Raw.of(x, noise, at, config.studentTrain());
    at += config.studentTrain();
    Raw validation = config.validation() > 0 ? Raw.of(x, noise, at, config.validation()) : null;
    at += config.validation();
    Raw test = Raw.of(x, noise, at, config.test());
    return assemble(config, teacher, train, config.validationIsTest() ? null : validation, test,
        "synthetic numpy data-seed=" + dataSeed);
  }

  /**
   * The reference notebook's random starting point of restart {@code restart} (0, 1, …) on the
   * data of {@code dataSeed}: after the data, each restart draws {@code uniform(-1, 1)} for the
   * weight of the distillation term, {@code uniform(-1, 1)} for that of the cross-entropy and
   * {@code uniform(-2, 0)} for the temperature, in this order; as b = (b1, b2, b3) with b1 the
   * cross-entropy's and b2 the distillation's coordinate.
   */
  public static double[] notebookStart(Config config, long dataSeed, long restart) {
    if (restart < 0 || restart > 1_000_000) {
      throw new IllegalArgumentException("restart must be in [0, 1000000], got " + restart);
    }
    NumpyRandom random = new NumpyRandom(dataSeed);
    int total = config.teacherTrain() + config.studentTrain() + config.validation()
        + config.test();
    random.standardNormals(3 * total);
    for (long r = 0; r < restart; r++) {
      random.randomSample();
      random.randomSample();
      random.randomSample();
    }
    double distillation = random.uniform(-1, 1);
    double crossEntropy = random.uniform(-1, 1);
    double temperature = random.uniform(-2, 0);
    return new double[] {crossEntropy, distillation, temperature};
  }

  private static Generated assemble(Config config, Raw teacher, Raw train, Raw validation,
      Raw test, String source) {
    Split testSplit = test.split(STUDENT_FEATURES);
    Split validationSplit = validation == null ? testSplit : validation.split(STUDENT_FEATURES);
    String description =
        String.format(
            "%s teacherTrain=%d studentTrain=%d validation=%s test=%d",
            source,
            config.teacherTrain(),
            config.studentTrain(),
            validation == null ? "test" : Integer.toString(config.validation()),
            config.test());
    DistillationData data =
        new DistillationData(
            description,
            teacher.split(TEACHER_FEATURES),
            train.split(STUDENT_FEATURES),
            train.split(TEACHER_FEATURES).features(),
            validationSplit,
            testSplit,
            CLASSES);
    return new Generated(data, test.split(TEACHER_FEATURES));
  }

  private static final int[] TEACHER_FEATURES = {0, 1, 2};
  private static final int[] STUDENT_FEATURES = {0, 1, 3};

  /** All four features and the label of n samples. */
  private record Raw(float[][] features, int[] labels) {

    static Raw draw(Random random, int n) {
      Raw raw = new Raw(new float[n][], new int[n]);
      for (int i = 0; i < n; i++) {
        double x1 = random.nextGaussian();
        double x2 = random.nextGaussian();
        raw.set(i, x1, x2, random.nextGaussian());
      }
      return raw;
    }

    /** Rows [from, from + n) of the notebook's x [total, 2] and noise [total]. */
    static Raw of(double[] x, double[] noise, int from, int n) {
      Raw raw = new Raw(new float[n][], new int[n]);
      for (int i = 0; i < n; i++) {
        int row = from + i;
        raw.set(i, x[2 * row], x[2 * row + 1], noise[row]);
      }
      return raw;
    }

    private void set(int i, double x1, double x2, double noise) {
      // (sign(v) + 1) // 2 is 1 for v > 0 and 0 for v <= 0
      labels[i] = x1 * x2 + noise * 0.5 > 0 ? 1 : 0;
      double quadrant = Math.signum(x1) + Math.signum(x2) > 0.1 ? 1 : 0;
      features[i] = new float[] {(float) x1, (float) x2, (float) quadrant, (float) (x1 * x2)};
    }

    Split split(int[] columns) {
      int n = labels.length;
      float[] x = new float[n * columns.length];
      float[] y = new float[n * CLASSES];
      for (int i = 0; i < n; i++) {
        for (int c = 0; c < columns.length; c++) {
          x[i * columns.length + c] = features[i][columns[c]];
        }
        y[i * CLASSES + labels[i]] = 1f;
      }
      INDArray xs = Nd4j.create(x, new long[] {n, columns.length});
      INDArray ys = Nd4j.create(y, new long[] {n, CLASSES});
      return new Split(xs, ys);
    }
  }
}
