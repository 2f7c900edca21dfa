package io.distilflux.trainer.teacher;

import java.nio.file.Path;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trained teacher's output for one experiment.
 *
 * @param logits the teacher's logits on D_train [nTrain, K], row i for example i
 * @param testAccuracy the teacher's accuracy on the test set
 * @param trainAccuracy the teacher's accuracy on its own training set
 * @param cacheHit whether it came from the cache (no training happened)
 * @param entry the cache folder holding {@code teacher.zip} (DL4J ModelSerializer) and
 *     {@code logits.bin} (Nd4j binary)
 */
public record TeacherResult(
    INDArray logits, double testAccuracy, double trainAccuracy, boolean cacheHit, Path entry) {}
