package io.distilflux.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MiniBatchesTest {

  private static final int N = 10;
  private static final int K = 3;

  /**
   * Images [N, 2, 2, 2] whose every value encodes the example index (i*100 + position), labels
   * class i % K, logits row i = (i, -i, 1000+i): any mismatch between rows is visible.
   */
  private static MiniBatches batches(int batchSize, long seed) {
    float[] x = new float[N * 8];
    float[] y = new float[N * K];
    float[] f = new float[N * K];
    for (int i = 0; i < N; i++) {
      for (int p = 0; p < 8; p++) {
        x[i * 8 + p] = i * 100 + p;
      }
      y[i * K + i % K] = 1;
      f[i * K] = i;
      f[i * K + 1] = -i;
      f[i * K + 2] = 1000 + i;
    }
    Split train = new Split(Nd4j.create(x, new long[] {N, 2, 2, 2}), Nd4j.create(y, new long[] {N, K}));
    return new MiniBatches(train, Nd4j.create(f, new long[] {N, K}), batchSize, seed);
  }

  /** Example indices of one epoch, batch by batch, checking every row's consistency. */
  private static List<int[]> indicesOfEpoch(MiniBatches batches, long epoch) {
    List<int[]> out = new ArrayList<>();
    Iterator<Batch> it = batches.epoch(epoch);
    while (it.hasNext()) {
      Batch batch = it.next();
      int[] indices = new int[batch.size()];
      for (int r = 0; r < batch.size(); r++) {
        int i = (int) (batch.features().getDouble(r, 0, 0, 0) / 100);
        indices[r] = i;
        assertEquals(i * 100 + 7, batch.features().getDouble(r, 1, 1, 1));
        assertEquals(1.0, batch.labels().getDouble(r, i % K));
        assertEquals(i, batch.teacherLogits().getDouble(r, 0));
        assertEquals(-i, batch.teacherLogits().getDouble(r, 1));
        assertEquals(1000 + i, batch.teacherLogits().getDouble(r, 2));
      }
      out.add(indices);
    }
    return out;
  }

  @Test
  void everyExampleOnceAnEpochWithAPartialLastBatchMatchedByIndex() {
    MiniBatches batches = batches(4, 5);
    List<int[]> epoch = indicesOfEpoch(batches, 0);
    assertEquals(3, batches.batchesPerEpoch());
    assertEquals(List.of(4, 4, 2), epoch.stream().map(a -> a.length).toList());
    int[] all = epoch.stream().flatMapToInt(Arrays::stream).sorted().toArray();
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, all);
    assertArrayEquals(batches.order(0), epoch.stream().flatMapToInt(Arrays::stream).toArray());
    assertArrayEquals(new long[] {2, 2, 2, 2}, indicesOfEpochLastShape(batches));
  }

  private static long[] indicesOfEpochLastShape(MiniBatches batches) {
    Iterator<Batch> it = batches.epoch(1);
    Batch last = null;
    while (it.hasNext()) {
      last = it.next();
    }
    return last.features().shape();
  }

  @Test
  void sameSeedAndEpochGiveTheSameOrderOtherEpochsShuffleDifferently() {
    int[] a = batches(4, 5).order(3);
    assertArrayEquals(a, batches(4, 5).order(3));
    assertFalse(Arrays.equals(a, batches(4, 5).order(4)));
    assertFalse(Arrays.equals(a, batches(4, 6).order(3)));
  }

  @Test
  void fullBatchesReuseTheSameBuffers() {
    Iterator<Batch> it = batches(4, 5).epoch(0);
    Batch first = it.next();
    INDArray features = first.features();
    Batch second = it.next();
    assertSame(features, second.features());
    assertSame(first.teacherLogits(), second.teacherLogits());
  }

  @Test
  void exhaustedEpochThrows() {
    Iterator<Batch> it = batches(10, 5).epoch(0);
    it.next();
    assertFalse(it.hasNext());
    assertThrows(java.util.NoSuchElementException.class, it::next);
  }

  @Test
  void logitsWithAnotherRowCountAreRejected() {
    Split train = new Split(Nd4j.zeros(5, 2), Nd4j.zeros(5, 2));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new MiniBatches(train, Nd4j.zeros(4, 2), 2, 0));
    assertEquals("teacherLogits must be [5, K] to match D_train, got [4, 2]", e.getMessage());
  }
}
