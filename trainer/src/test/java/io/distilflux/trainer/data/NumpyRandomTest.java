package io.distilflux.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Draws of the port against outputs of numpy's legacy generator (numpy 2.4). */
class NumpyRandomTest {

  @Test
  void randnAfterSeed42GivesNumpysFirstNormals() {
    assertArrayEquals(new double[] {0.4967141530112327, -0.13826430117118466, 0.6476885381006925,
        1.5230298564080254, -0.23415337472333597}, new NumpyRandom(42).standardNormals(5));
  }

  @Test
  void normalsFarIntoTheStreamMatchAcrossStateRegenerations() {
    double[] normals = new NumpyRandom(42).standardNormals(2000);
    assertEquals(0.5725827813561586, normals[999]);
    assertEquals(-2.152890592952483, normals[1289]);
    assertEquals(-0.7449026448064491, normals[1999]);
  }

  @Test
  void randomSampleAfterSeedZeroGivesNumpysRand() {
    NumpyRandom random = new NumpyRandom(0);
    assertEquals(0.5488135039273248, random.randomSample());
    assertEquals(0.7151893663724195, random.randomSample());
    assertEquals(0.6027633760716439, random.randomSample());
  }

  @Test
  void randomSampleFarIntoTheStream() {
    NumpyRandom random = new NumpyRandom(7);
    for (int i = 0; i < 700; i++) {
      random.randomSample();
    }
    assertEquals(0.059200845313875594, random.randomSample());
  }

  @Test
  void cachedNormalSurvivesAUniformDrawInBetween() {
    NumpyRandom random = new NumpyRandom(123);
    random.standardNormals(3);
    assertEquals(-0.5610620604288739, random.uniform(-2, 0));
    assertEquals(-1.506294713918092, random.standardNormal());
  }

  @Test
  void largestSeedIsAcceptedAndLargerOnesRejected() {
    assertArrayEquals(new double[] {0.6484086742306527, 0.6693235306338161, -1.0805437227474493},
        new NumpyRandom(0xffffffffL).standardNormals(3));
    assertThrows(IllegalArgumentException.class, () -> new NumpyRandom(1L << 32));
    assertThrows(IllegalArgumentException.class, () -> new NumpyRandom(-1));
  }
}
