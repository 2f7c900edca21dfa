package io.distilflux.trainer.teacher;

import io.distilflux.trainer.data.DatasetSource;
import io.distilflux.trainer.data.DistillationData;
import io.distilflux.trainer.data.NpySource;
import java.nio.file.Path;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Logits a teacher computed elsewhere, a NumPy {@code .npy} array {@code [nTrain + nVal, K]}: one
 * row per training example and then per validation example, in file order. The teacher's
 * accuracy cannot be measured (it has no test logits) and is reported as NaN.
 *
 * @param file the logits file
 */
public record LogitsFileTeacher(Path file) implements TeacherSource {

  @Override
  public TeacherResult logitsFor(DatasetSource.Loaded loaded) {
    DistillationData data = loaded.data();
    INDArray logits = NpySource.array(file);
    long train = data.studentTrain().size();
    long rows = train + data.validation().size();
    if (logits.rank() != 2 || logits.size(0) != rows || logits.size(1) != data.classes()) {
      throw new IllegalArgumentException("teacher logits " + file + " have shape "
          + Arrays.toString(logits.shape()) + ", expected [" + rows + ", " + data.classes()
          + "]: one row per training (" + train + ") and validation ("
          + data.validation().size() + ") example, one column per class");
    }
    INDArray all = logits.castTo(DataType.FLOAT).dup('c');
    float[] values = all.data().asFloat();
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new IllegalArgumentException("teacher logits " + file + ": row " + (i / data.classes())
            + ", column " + (i % data.classes()) + " is " + values[i] + ", not finite");
      }
    }
    INDArray trainRows = all.get(NDArrayIndex.interval(0, train), NDArrayIndex.all()).dup('c');
    return new TeacherResult(trainRows, Double.NaN, Double.NaN, false, file);
  }

  @Override
  public String describe() {
    return "teacher logits from " + file;
  }
}
