package io.distilflux.trainer.teacher;

import io.distilflux.trainer.data.DatasetSource;

/**
 * Where a run's teacher comes from: trained here (and cached), a network file made elsewhere
 * (DL4J zip, Keras h5), or the logits a teacher computed elsewhere. One implementation per kind.
 */
public interface TeacherSource {

  /**
   * The teacher's logits on D_train of {@code loaded}, and its accuracy where it can be measured.
   *
   * @throws IllegalArgumentException with one line naming the file when the teacher does not
   *     fit the data
   */
  TeacherResult logitsFor(DatasetSource.Loaded loaded);

  /** One line naming the teacher, for the run's log. */
  String describe();
}
