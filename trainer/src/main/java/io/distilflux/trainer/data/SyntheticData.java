package io.distilflux.trainer.data;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The synthetic experiment of docs/method.md §5: x1, x2 ~ N(0,1), y = (sign(x1·x2 + 0.5·ε) + 1)/2,
 * features [x1, x2, 1{sign(x1)+sign(x2) > 0.1}, x1·x2]. The teacher sees features 0,1,2, the
 * student features 0,1,3. Draws come from one seeded {@link Random} in a fixed order (teacher
 * set, student train, validation, test), so the data are identical on every backend.
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
    Split testSplit = test.split(STUDENT_FEATURES);
    Split validationSplit = validation == null ? testSplit : validation.split(STUDENT_FEATURES);
    String description =
        String.format(
            "synthetic seed=%d teacherTrain=%d studentTrain=%d validation=%s test=%d",
            seed,
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
      float[][] features = new float[n][];
      int[] labels = new int[n];
      for (int i = 0; i < n; i++) {
        double x1 = random.nextGaussian();
        double x2 = random.nextGaussian();
        double noise = random.nextGaussian();
        // (sign(v)+1)/2 is 1 for v > 0 and 0 for v < 0; v == 0 has probability zero.
        labels[i] = x1 * x2 + 0.5 * noise > 0 ? 1 : 0;
        double quadrant = Math.signum(x1) + Math.signum(x2) > 0.1 ? 1 : 0;
        features[i] = new float[] {(float) x1, (float) x2, (float) quadrant, (float) (x1 * x2)};
      }
      return new Raw(features, labels);
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
