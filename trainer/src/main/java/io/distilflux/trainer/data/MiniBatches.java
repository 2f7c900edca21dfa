package io.distilflux.trainer.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mini-batches over D_train with the teacher's logits matched by example index: row i of the
 * logits belongs to example i, whatever batch it lands in (the last batch of an epoch may be
 * partial). Each epoch visits every example once, in a permutation fixed by (seed, epoch).
 *
 * <p>Rows are gathered into buffers allocated once (one set for full batches, one for the
 * partial last batch), so iterating allocates no arrays per batch. FLOAT rows are gathered on the
 * Java heap from copies made once (the features only while they are small) and written with one
 * native copy per array: a libnd4j row gather costs microseconds even on a quiet machine and far
 * more on a busy one, longer than a whole step of the synthetic student. The {@link Batch} arrays
 * are those buffers: they are overwritten by the next batch of the same size. The constructor
 * keeps one contiguous copy of D_train and the logits, so later changes to the caller's arrays
 * do not leak into batches.
 */
public final class MiniBatches {

  private final INDArray features;
  private final INDArray labels;
  private final INDArray logits;
  private final long[] exampleShape;
  private final int batchSize;
  private final long seed;
  private final Buffers full;
  private final Buffers partial;
  /** Heap copies of the FLOAT data for gathering, null where the data are not FLOAT or large. */
  private final float[] hostFeatures;
  private final float[] hostLabels;
  private final float[] hostLogits;
  /** Largest feature array (elements) kept on the heap as well. */
  private static final long HOST_FEATURES_LIMIT = 1L << 22;

  /**
   * @param train D_train
   * @param teacherLogits the teacher's logits, row i for example i of {@code train} [n, K]
   * @param batchSize examples per batch (the last batch of an epoch holds the rest)
   * @param seed fixes the per-epoch permutations
   */
  public MiniBatches(Split train, INDArray teacherLogits, int batchSize, long seed) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
    }
    int n = train.size();
    if (teacherLogits.rank() != 2 || teacherLogits.size(0) != n) {
      throw new IllegalArgumentException(
          "teacherLogits must be [" + n + ", K] to match D_train, got "
              + java.util.Arrays.toString(teacherLogits.shape()));
    }
    if (train.labels().size(0) != n) {
      throw new IllegalArgumentException("labels rows " + train.labels().size(0)
          + " differ from features rows " + n);
    }
    long[] shape = train.features().shape();
    this.exampleShape = java.util.Arrays.copyOfRange(shape, 1, shape.length);
    // A 2-D view [n, prod(exampleShape)] lets one row gather serve images and vectors alike.
    this.features = train.features().dup('c').reshape('c', n, train.features().length() / n);
    this.labels = train.labels().dup('c');
    this.logits = teacherLogits.dup('c');
    this.hostFeatures = this.features.length() <= HOST_FEATURES_LIMIT ? host(this.features) : null;
    this.hostLabels = host(this.labels);
    this.hostLogits = host(this.logits);
    this.batchSize = Math.min(batchSize, n);
    this.seed = seed;
    this.full = new Buffers(this.batchSize);
    int rest = n % this.batchSize;
    this.partial = rest == 0 ? null : new Buffers(rest);
  }

  /** The elements of a contiguous FLOAT array, or null for other types. */
  private static float[] host(INDArray array) {
    return array.dataType() == DataType.FLOAT ? array.data().asFloat() : null;
  }

  /** Number of examples in D_train. */
  public int size() {
    return (int) labels.size(0);
  }

  /** Batches per epoch, counting a partial last batch. */
  public int batchesPerEpoch() {
    return (size() + batchSize - 1) / batchSize;
  }

  /** The example order of an epoch (entry j = index of the j-th example visited). */
  public int[] order(long epoch) {
    return Permutation.of(size(), seed, epoch);
  }

  /** The batches of one epoch, in order; iterate it once. */
  public Iterator<Batch> epoch(long epoch) {
    return epoch(epoch, 0);
  }

  /**
   * The batches of one epoch from batch {@code firstBatch} on, as {@link #epoch(long)} would
   * give them after {@code firstBatch} batches (a resumed run's data position).
   */
  public Iterator<Batch> epoch(long epoch, int firstBatch) {
    if (firstBatch < 0 || firstBatch > batchesPerEpoch()) {
      throw new IllegalArgumentException(
          "firstBatch must be in 0.." + batchesPerEpoch() + ", got " + firstBatch);
    }
    int[] order = order(epoch);
    int start = Math.min(order.length, firstBatch * batchSize);
    return new Iterator<>() {
      private int next = start;

      @Override
      public boolean hasNext() {
        return next < order.length;
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException("epoch " + epoch + " is exhausted");
        }
        int count = Math.min(batchSize, order.length - next);
        Buffers target = count == batchSize ? full : partial;
        System.arraycopy(order, next, target.indices, 0, count);
        next += count;
        return target.gather();
      }
    };
  }

  /** Preallocated destination arrays for one batch size. */
  private final class Buffers {
    private final int[] indices;
    private final INDArray x;
    private final INDArray y;
    private final INDArray f;
    private final Batch batch;
    private float[] scratch;

    Buffers(int rows) {
      indices = new int[rows];
      x = Nd4j.create(features.dataType(), rows, features.size(1));
      y = Nd4j.create(labels.dataType(), rows, labels.size(1));
      f = Nd4j.create(logits.dataType(), rows, logits.size(1));
      long[] batchShape = new long[exampleShape.length + 1];
      batchShape[0] = rows;
      System.arraycopy(exampleShape, 0, batchShape, 1, exampleShape.length);
      batch = new Batch(x.reshape('c', batchShape), y, f);
    }

    Batch gather() {
      gatherRows(features, hostFeatures, x);
      gatherRows(labels, hostLabels, y);
      gatherRows(logits, hostLogits, f);
      return batch;
    }

    private void gatherRows(INDArray source, float[] host, INDArray target) {
      if (host == null) {
        Nd4j.pullRows(source, target, 1, indices);
        return;
      }
      int width = (int) source.size(1);
      int count = indices.length;
      if (scratch == null || scratch.length < count * width) {
        scratch = new float[count * width];
      }
      for (int r = 0; r < count; r++) {
        System.arraycopy(host, indices[r] * width, scratch, r * width, width);
      }
      new FloatPointer(target.data().addressPointer()).put(scratch, 0, count * width);
    }
  }
}
