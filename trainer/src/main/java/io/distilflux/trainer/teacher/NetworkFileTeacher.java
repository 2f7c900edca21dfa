package io.distilflux.trainer.teacher;

import io.distilflux.trainer.data.DatasetSource;
import io.distilflux.trainer.data.DistillationData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trained teacher network from a file made elsewhere: a DL4J {@code MultiLayerNetwork} saved
 * with {@code ModelSerializer} ({@code .zip}) or a Keras Sequential model ({@code .h5}) through
 * DL4J's Keras import. Its last layer must be dense (an output layer with softmax is usual): the
 * logits are that layer's pre-activation.
 *
 * @param file the model file
 */
public record NetworkFileTeacher(Path file) implements TeacherSource {

  /** Whether a file name is one this class reads ({@code .zip} or {@code .h5}). */
  public static boolean accepts(Path file) {
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    return name.endsWith(".zip") || name.endsWith(".h5");
  }

  @Override
  public TeacherResult logitsFor(DatasetSource.Loaded loaded) {
    MultiLayerNetwork network = load();
    DistillationData data = loaded.data();
    try {
      INDArray logits = TeacherTrainer.logits(network, data.teacherViewOfStudentTrain());
      if (logits.size(1) != data.classes()) {
        throw new IllegalArgumentException("teacher " + file + " outputs " + logits.size(1)
            + " classes, the data have " + data.classes());
      }
      return new TeacherResult(logits, TeacherTrainer.accuracy(network, loaded.teacherTest()),
          TeacherTrainer.accuracy(network, data.teacherTrain()), false, file);
    } catch (IllegalArgumentException e) {
      throw e.getMessage() != null && e.getMessage().startsWith("teacher " + file) ? e
          : new IllegalArgumentException("teacher " + file + " does not fit the data: "
              + oneLine(e), e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("teacher " + file + " does not fit the data: "
          + oneLine(e), e);
    }
  }

  @Override
  public String describe() {
    return "teacher from " + file;
  }

  /** The network of the file. */
  MultiLayerNetwork load() {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("teacher file not found: " + file);
    }
    boolean keras = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT)
        .endsWith(".h5");
    try {
      return keras
          ? KerasModelImport.importKerasSequentialModelAndWeights(file.toString(), false)
          : ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false);
    } catch (IOException | InvalidKerasConfigurationException
        | UnsupportedKerasConfigurationException | RuntimeException e) {
      throw new IllegalArgumentException("teacher " + file + " is not a readable "
          + (keras ? "Keras Sequential .h5 model" : "DL4J MultiLayerNetwork .zip (ModelSerializer)")
          + ": " + oneLine(e), e);
    }
  }

  private static String oneLine(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.lines().findFirst().orElse("").strip();
  }
}
