package io.distilflux.trainer.run;

import java.nio.file.Path;

/**
 * How an experiment's data and teacher are obtained.
 *
 * @param train student training examples (0: the dataset's default)
 * @param validation validation examples (0: the dataset's default)
 * @param test test examples (0: the dataset's default)
 * @param teacherEpochs epochs of teacher training on image datasets
 * @param teacherSteps full-batch steps of the synthetic teacher (0: the reference's 10 000)
 * @param teacherCache folder of the teacher cache
 */
public record DataOptions(int train, int validation, int test, int teacherEpochs, int teacherSteps,
    Path teacherCache) {}
