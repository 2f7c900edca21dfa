package io.distilflux.trainer.data;

/**
 * Where a run's data come from: one implementation per kind of dataset (the synthetic data,
 * CIFAR-10, MNIST, the user's CSV or NumPy files), each yielding the prepared splits.
 */
public interface DatasetSource {

  /**
   * Reads (or draws) the data.
   *
   * @throws DataFileException naming the file, and where known its row and column, when a file
   *     is missing or malformed
   */
  Loaded load();

  /**
   * A dataset as the student and the teacher see it.
   *
   * @param data the splits
   * @param teacherTest the test set as the teacher sees it, for its reported accuracy (the
   *     synthetic teacher sees other features than the student; otherwise {@code data.test()})
   */
  record Loaded(DistillationData data, Split teacherTest) {

    /** Data whose teacher sees the student's inputs. */
    public static Loaded sameView(DistillationData data) {
      return new Loaded(data, data.test());
    }
  }
}
