package io.distilflux.trainer.teacher;

import io.distilflux.trainer.data.DatasetSource;

/**
 * A registered teacher architecture trained here on the data, or reused from the cache.
 *
 * @param cache the teacher cache
 * @param architecture the registered architecture's name
 * @param seed the initialisation seed
 * @param training steps or epochs of teacher training
 */
public record TrainedTeacher(TeacherCache cache, String architecture, long seed,
    TeacherTraining training) implements TeacherSource {

  @Override
  public TeacherResult logitsFor(DatasetSource.Loaded loaded) {
    return cache.logitsFor(loaded.data(), loaded.teacherTest(), architecture, seed, training);
  }

  @Override
  public String describe() {
    return "teacher " + architecture + " trained here";
  }
}
