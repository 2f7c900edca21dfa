package io.distilflux.trainer.run;

import io.distilflux.trainer.data.DistillationData;
import io.distilflux.trainer.teacher.TeacherResult;

/**
 * A dataset with its teacher's logits on D_train, ready for student runs.
 *
 * @param data the splits
 * @param teacher the trained (or cached) teacher's logits and accuracy
 */
public record PreparedData(DistillationData data, TeacherResult teacher) {

  /** One line: what was loaded and how good the teacher is. */
  public String description() {
    return String.format(java.util.Locale.ROOT, "%s; teacher test accuracy %.4f (%s)",
        data.description(), teacher.testAccuracy(), teacher.cacheHit() ? "cached" : "trained");
  }
}
