package io.distilflux.trainer.run;

import io.distilflux.trainer.data.DistillationData;
import io.distilflux.trainer.teacher.TeacherResult;

/**
 * A dataset with its teacher's logits on D_train, ready for student runs.
 *
 * @param data the splits
 * @param teacher the teacher's logits and accuracy (NaN when unknown: logits from a file)
 * @param teacherOrigin one line naming where the teacher came from
 */
public record PreparedData(DistillationData data, TeacherResult teacher, String teacherOrigin) {

  /** One line: what was loaded and how good the teacher is. */
  public String description() {
    String accuracy = Double.isNaN(teacher.testAccuracy()) ? "unknown"
        : String.format(java.util.Locale.ROOT, "%.4f", teacher.testAccuracy());
    String how = teacherOrigin + (teacher.cacheHit() ? " (cached)" : "");
    return data.description() + "; " + how + ", test accuracy " + accuracy;
  }
}
