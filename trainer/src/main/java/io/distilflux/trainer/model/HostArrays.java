package io.distilflux.trainer.model;

import java.util.Arrays;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * Copies between ND4J arrays and Java {@code double[]} with one native copy per call, for code
 * that computes on the Java heap (an ND4J op per element, or per small array, costs microseconds).
 * Arrays are read and written in row-major order; FLOAT values are widened on the way in and
 * rounded to float on the way out.
 */
public final class HostArrays {

  private HostArrays() {}

  /**
   * Reads the elements of {@code a} in row-major order into {@code out[0 … a.length())}.
   *
   * @param scratch a float buffer at least {@code a.length()} long, used for FLOAT arrays
   */
  public static void read(INDArray a, double[] out, float[] scratch) {
    int n = Math.toIntExact(a.length());
    INDArray c = contiguous(a) ? a : a.dup('c');
    if (c.dataType() == DataType.DOUBLE) {
      new DoublePointer(c.data().addressPointer()).position(c.offset()).get(out, 0, n);
      return;
    }
    if (c.dataType() != DataType.FLOAT) {
      c = c.castTo(DataType.FLOAT);
    }
    new FloatPointer(c.data().addressPointer()).position(c.offset()).get(scratch, 0, n);
    for (int i = 0; i < n; i++) {
      out[i] = scratch[i];
    }
  }

  /** The elements of {@code a} in row-major order, widened to double, in a new array. */
  public static double[] read(INDArray a) {
    double[] out = new double[Math.toIntExact(a.length())];
    read(a, out, new float[out.length]);
    return out;
  }

  /**
   * Writes {@code values[0 … a.length())} into the contiguous FLOAT or DOUBLE array {@code a} in
   * row-major order.
   *
   * @param scratch a float buffer at least {@code a.length()} long, used for FLOAT arrays
   * @throws IllegalArgumentException if {@code a} is not contiguous FLOAT or DOUBLE
   */
  public static void write(double[] values, INDArray a, float[] scratch) {
    if (!contiguous(a)) {
      throw new IllegalArgumentException("expected a contiguous row-major array, got "
          + a.dataType() + " " + Arrays.toString(a.shape()) + " ordering " + a.ordering());
    }
    int n = Math.toIntExact(a.length());
    if (a.dataType() == DataType.DOUBLE) {
      new DoublePointer(a.data().addressPointer()).position(a.offset()).put(values, 0, n);
      return;
    }
    if (a.dataType() != DataType.FLOAT) {
      throw new IllegalArgumentException("expected FLOAT or DOUBLE, got " + a.dataType());
    }
    for (int i = 0; i < n; i++) {
      scratch[i] = (float) values[i];
    }
    new FloatPointer(a.data().addressPointer()).position(a.offset()).put(scratch, 0, n);
  }

  /** Whether the array's elements lie in row-major order without gaps from its offset on. */
  private static boolean contiguous(INDArray a) {
    boolean typed = a.dataType() == DataType.FLOAT || a.dataType() == DataType.DOUBLE;
    boolean rowMajor = a.length() <= 1 || (a.rank() == 1 ? a.stride(0) == 1
        : a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a));
    return typed && rowMajor
        && a.offset() + a.length() <= a.data().length();
  }
}
