package io.distilflux.trainer.teacher;

/**
 * How a teacher is trained: Adam on softmax + cross-entropy with DL4J's
 * {@code MultiLayerNetwork.fit}.
 *
 * @param epochs passes over the teacher's training set (for full-batch training: steps)
 * @param batchSize examples per step; {@code 0} means full batch
 * @param learningRate Adam learning rate
 */
public record TeacherTraining(int epochs, int batchSize, double learningRate) {

  /** Checks the fields. */
  public TeacherTraining {
    if (epochs <= 0) {
      throw new IllegalArgumentException("teacher epochs must be > 0, got " + epochs);
    }
    if (batchSize < 0) {
      throw new IllegalArgumentException("teacher batchSize must be >= 0, got " + batchSize);
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("teacher learningRate must be > 0, got " + learningRate);
    }
  }

  /** The synthetic experiment: 10 000 full-batch Adam steps, learning rate 0.01. */
  public static TeacherTraining synthetic() {
    return new TeacherTraining(10_000, 0, 0.01);
  }

  /** Image teachers: mini-batches of 128, Adam 1e-3, the given number of epochs. */
  public static TeacherTraining images(int epochs) {
    return new TeacherTraining(epochs, 128, 1e-3);
  }

  /** Whether every step sees the whole training set. */
  public boolean fullBatch() {
    return batchSize == 0;
  }

  /** A stable text form for cache keys. */
  String key() {
    return "epochs=" + epochs + ",batch=" + batchSize + ",lr=" + Double.toString(learningRate);
  }
}
