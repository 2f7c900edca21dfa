package io.distilflux.trainer.byo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.hdf5.Attribute;
import org.bytedeco.hdf5.DataSet;
import org.bytedeco.hdf5.DataSpace;
import org.bytedeco.hdf5.Group;
import org.bytedeco.hdf5.H5File;
import org.bytedeco.hdf5.H5Object;
import org.bytedeco.hdf5.PredType;
import org.bytedeco.hdf5.StrType;
import org.bytedeco.hdf5.global.hdf5;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes a Keras 2 Sequential model of dense layers as the HDF5 file Keras' {@code model.save}
 * makes ({@code model_config}, {@code keras_version}, {@code backend} attributes, weights under
 * {@code model_weights/<layer>/<layer>/kernel:0} and {@code bias:0}), so tests need no Python.
 * Only the parts DL4J's Keras import reads are written.
 */
public final class KerasH5Writer {

  /**
   * One dense layer.
   *
   * @param kernel weights [nIn, nOut]
   * @param bias bias [nOut]
   * @param activation Keras' name: relu, softmax, linear
   */
  public record Dense(INDArray kernel, INDArray bias, String activation) {}

  private KerasH5Writer() {}

  /** Writes the model; the first layer's input width is its kernel's rows. */
  public static void write(Path file, List<Dense> layers) {
    List<String> configs = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      Dense layer = layers.get(i);
      String input = i == 0
          ? "\"batch_input_shape\": [null, " + layer.kernel().size(0) + "], " : "";
      configs.add(String.format(Locale.ROOT, "{\"class_name\": \"Dense\", \"config\": {\"name\":"
          + " \"%s\", %s\"units\": %d, \"activation\": \"%s\", \"use_bias\": true,"
          + " \"kernel_initializer\": {\"class_name\": \"Zeros\", \"config\": {}},"
          + " \"bias_initializer\": {\"class_name\": \"Zeros\", \"config\": {}}}}",
          name(i), input, layer.kernel().size(1), layer.activation()));
    }
    String modelConfig = "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"sequential\","
        + " \"layers\": [" + String.join(", ", configs) + "]}}";
    synchronized (Hdf5Archive.LOCK_OBJECT) {
      H5File h5 = new H5File(file.toString(), hdf5.H5F_ACC_TRUNC);
      try {
        stringAttribute(h5, "model_config", modelConfig);
        stringAttribute(h5, "keras_version", "2.2.4");
        stringAttribute(h5, "backend", "tensorflow");
        Group weights = h5.createGroup("model_weights");
        for (int i = 0; i < layers.size(); i++) {
          Group outer = weights.createGroup(name(i));
          stringAttribute(outer, "weight_names", name(i) + "/kernel:0");
          Group inner = outer.createGroup(name(i));
          dataset(inner, "kernel:0", layers.get(i).kernel());
          dataset(inner, "bias:0", layers.get(i).bias());
          inner._close();
          outer._close();
        }
        weights._close();
      } finally {
        h5._close();
      }
    }
  }

  private static String name(int layer) {
    return "dense_" + (layer + 1);
  }

  /** A fixed-length string attribute, as h5py writes Python byte strings. */
  private static void stringAttribute(H5Object target, String name, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    StrType type = new StrType(PredType.C_S1(), bytes.length);
    DataSpace scalar = new DataSpace(hdf5.H5S_SCALAR);
    Attribute attribute = target.createAttribute(name, type, scalar);
    attribute.write(type, new BytePointer(bytes));
    attribute._close();
    scalar._close();
  }

  private static void dataset(Group group, String name, INDArray values) {
    long[] shape = values.rank() == 1 ? new long[] {values.length()} : values.shape();
    DataSpace space = new DataSpace(shape.length, shape);
    DataSet dataset = group.createDataSet(name, PredType.NATIVE_FLOAT(), space);
    float[] data = values.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data()
        .asFloat();
    dataset.write(new FloatPointer(data), PredType.NATIVE_FLOAT());
    dataset._close();
    space._close();
  }
}
