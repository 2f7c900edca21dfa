package io.distilflux.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class ValidationSamplerTest {

  /** 20 examples [20, 1, 3], value = 10·index + position; labels class index % 2. */
  private static Split validation() {
    float[] x = new float[60];
    float[] y = new float[40];
    for (int i = 0; i < 20; i++) {
      for (int p = 0; p < 3; p++) {
        x[i * 3 + p] = 10 * i + p;
      }
      y[i * 2 + i % 2] = 1;
    }
    return new Split(Nd4j.create(x, new long[] {20, 1, 3}), Nd4j.create(y, new long[] {20, 2}));
  }

  @Test
  void sizeAtLeastTheSetGivesTheWholeSet() {
    Split all = validation();
    assertSame(all, new ValidationSampler(all, 20, 1).draw(0));
    assertSame(all, new ValidationSampler(all, 500, 1).draw(7));
  }

  @Test
  void drawsAreDistinctMatchingRowsAndDeterministicPerSeedAndStep() {
    Split all = validation();
    ValidationSampler sampler = new ValidationSampler(all, 8, 3);
    Split batch = sampler.draw(5);
    assertArrayEquals(new long[] {8, 1, 3}, batch.features().shape());
    Set<Integer> seen = new HashSet<>();
    for (int r = 0; r < 8; r++) {
      int i = (int) batch.features().getDouble(r, 0, 0) / 10;
      seen.add(i);
      assertEquals(10 * i + 2, batch.features().getDouble(r, 0, 2));
      assertEquals(1.0, batch.labels().getDouble(r, i % 2));
    }
    assertEquals(8, seen.size());
    assertEquals(batch.features(), new ValidationSampler(all, 8, 3).draw(5).features());
    assertNotEquals(batch.features(), sampler.draw(6).features());
  }
}
