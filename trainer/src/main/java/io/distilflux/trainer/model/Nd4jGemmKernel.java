package io.distilflux.trainer.model;

import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.DoublePointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link DenseKernel} as one double-precision BLAS gemm per product: operands are copied from
 * the Java arrays into detached row-major DOUBLE arrays (one native copy each), multiplied by
 * {@code Nd4j.gemm}, and the result copied back. The flat weights of a layer are, read row-major,
 * Wᵀ [nOut, nIn], so no operand needs a transposed copy. Buffers are allocated once per shape
 * outside any workspace and reused on every call; not thread-safe.
 */
public final class Nd4jGemmKernel implements DenseKernel {

  private static final int LEFT = 0;
  private static final int RIGHT = 1;
  private static final int RESULT = 2;

  private final Map<Long, Buffer> buffers = new HashMap<>();
  private double[] sum = new double[0];

  @Override
  public void multiply(double[] a, int rows, int nIn, double[] w, int wo, int nOut,
      double[] out, boolean add) {
    Buffer left = copyIn(LEFT, rows, nIn, a, 0);
    Buffer weights = copyIn(RIGHT, nOut, nIn, w, wo);
    Buffer result = buffer(RESULT, rows, nOut);
    Nd4j.gemm(left.array, weights.array, result.array, false, true, 1.0, 0.0);
    int n = rows * nOut;
    if (!add) {
      result.pointer.get(out, 0, n);
      return;
    }
    if (sum.length < n) {
      sum = new double[n];
    }
    result.pointer.get(sum, 0, n);
    for (int k = 0; k < n; k++) {
      out[k] += sum[k];
    }
  }

  @Override
  public void multiplyTransposed(double[] delta, int rows, int nOut, double[] w, int wo,
      int nIn, double[] out) {
    Buffer left = copyIn(LEFT, rows, nOut, delta, 0);
    Buffer weights = copyIn(RIGHT, nOut, nIn, w, wo);
    Buffer result = buffer(RESULT, rows, nIn);
    Nd4j.gemm(left.array, weights.array, result.array, false, false, 1.0, 0.0);
    result.pointer.get(out, 0, rows * nIn);
  }

  @Override
  public void weightGradient(double[] a, double[] delta, int rows, int nIn, int nOut,
      double[] gradient, int wo) {
    // (aᵀ·δ) column-major is (δᵀ·a) row-major: [nOut, nIn], the flat layout
    Buffer left = copyIn(LEFT, rows, nOut, delta, 0);
    Buffer right = copyIn(RIGHT, rows, nIn, a, 0);
    Buffer result = buffer(RESULT, nOut, nIn);
    Nd4j.gemm(left.array, right.array, result.array, true, false, 1.0, 0.0);
    result.pointer.get(gradient, wo, nIn * nOut);
  }

  private Buffer copyIn(int role, int rows, int columns, double[] values, int from) {
    Buffer buffer = buffer(role, rows, columns);
    buffer.pointer.put(values, from, rows * columns);
    return buffer;
  }

  /** The reused [rows, columns] row-major buffer of one operand role. */
  private Buffer buffer(int role, int rows, int columns) {
    long key = ((long) role << 62) | ((long) rows << 31) | columns;
    Buffer buffer = buffers.get(key);
    if (buffer == null) {
      try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        INDArray array = Nd4j.create(DataType.DOUBLE, new long[] {rows, columns}, 'c');
        buffer = new Buffer(array, new DoublePointer(array.data().addressPointer()));
      }
      buffers.put(key, buffer);
    }
    return buffer;
  }

  /** A detached DOUBLE array and a pointer to its first element. */
  private record Buffer(INDArray array, DoublePointer pointer) {}
}
