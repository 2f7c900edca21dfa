package io.distilflux.trainer.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * A student whose network is the user's: a DL4J {@code MultiLayerConfiguration} in DL4J's JSON
 * ({@code .json}) or YAML ({@code .yaml}, {@code .yml}) format. Its last layer must be a dense
 * layer with identity activation and K outputs (the student outputs logits); the run's seed,
 * floating-point type and a no-op DL4J updater replace the file's, since the distillation code
 * applies its own optimizer.
 *
 * @param file the configuration file
 */
public record StudentFile(Path file) implements StudentBuilder {

  /** Whether a file name is one this class reads. */
  public static boolean accepts(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".json") || lower.endsWith(".yaml") || lower.endsWith(".yml");
  }

  /**
   * The file's configuration, checked.
   *
   * @throws IllegalArgumentException one line naming the file when it cannot be read, is not a
   *     MultiLayerConfiguration, or does not end in K logits
   */
  @Override
  public MultiLayerConfiguration build(long[] featureShape, int classes, long seed,
      DataType dataType) {
    MultiLayerConfiguration configuration = read();
    List<NeuralNetConfiguration> layers = configuration.getConfs();
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("student " + file + " has no layers");
    }
    Layer last = layers.get(layers.size() - 1).getLayer();
    if (!(last instanceof DenseLayer dense)
        || !(dense.getActivationFn() instanceof ActivationIdentity)) {
      throw new IllegalArgumentException("student " + file + ": the last layer must be a"
          + " DenseLayer with identity activation (the student outputs logits), got "
          + last.getClass().getSimpleName());
    }
    if (dense.getNOut() != classes) {
      throw new IllegalArgumentException("student " + file + ": the last layer has nOut "
          + dense.getNOut() + ", the data have " + classes + " classes");
    }
    configuration.setDataType(dataType);
    for (NeuralNetConfiguration layer : layers) {
      layer.setSeed(seed);
      layer.setDataType(dataType);
      if (layer.getLayer() instanceof org.deeplearning4j.nn.conf.layers.BaseLayer base) {
        base.setIUpdater(new NoOp());
        base.setBiasUpdater(null);
      }
    }
    return configuration;
  }

  private MultiLayerConfiguration read() {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("student file " + file + " cannot be read: "
          + e.getMessage(), e);
    }
    boolean json = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
    try {
      return json ? MultiLayerConfiguration.fromJson(text) : MultiLayerConfiguration.fromYaml(text);
    } catch (RuntimeException e) {
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new IllegalArgumentException("student " + file + " is not a DL4J"
          + " MultiLayerConfiguration in " + (json ? "JSON" : "YAML") + ": "
          + message.lines().findFirst().orElse("").strip(), e);
    }
  }
}
