package io.distilflux.trainer.data;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything one distillation experiment reads (docs/method.md §5).
 *
 * @param description one line saying what was loaded (files, record counts, split sizes)
 * @param teacherTrain what the teacher is trained on
 * @param studentTrain the student's training set D_train
 * @param teacherViewOfStudentTrain the teacher's inputs for the examples of D_train, row i
 *     matching row i of studentTrain (the synthetic teacher sees other features than the
 *     student; for images it is studentTrain's features)
 * @param validation D_val, for the meta-parameters
 * @param test D_test, for the reported accuracy
 * @param classes number of classes K
 */
public record DistillationData(
    String description,
    Split teacherTrain,
    Split studentTrain,
    INDArray teacherViewOfStudentTrain,
    Split validation,
    Split test,
    int classes) {}
