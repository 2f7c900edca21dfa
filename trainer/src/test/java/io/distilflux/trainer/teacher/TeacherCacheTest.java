package io.distilflux.trainer.teacher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.trainer.data.SyntheticData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TeacherCacheTest {

  private static final SyntheticData.Generated DATA =
      SyntheticData.generate(SyntheticData.Config.paper(), 42);
  /** Far fewer steps than the paper's 10 000 to keep the test fast; enough for a clear signal. */
  private static final TeacherTraining QUICK = new TeacherTraining(200, 0, 0.05);

  @TempDir static Path shared;
  private static TeacherResult trained;

  @TempDir Path own;

  private static TeacherResult teacher(TeacherCache cache, long seed) {
    return cache.logitsFor(
        DATA.data(), DATA.teacherViewOfTest(), TeacherArchitectures.LOGREG, seed, QUICK);
  }

  /** One training shared by the tests that only read the cache, since training dominates. */
  @BeforeAll
  static void trainOnce() {
    trained = teacher(new TeacherCache(shared), 1);
  }

  @Test
  void firstCallTrainsAndStoresTheModelAndLogits() {
    assertFalse(trained.cacheHit());
    assertArrayEquals(new long[] {15, 2}, trained.logits().shape());
    assertTrue(Files.isRegularFile(trained.entry().resolve("teacher.zip")));
    assertTrue(Files.isRegularFile(trained.entry().resolve("logits.bin")));
  }

  @Test
  void secondCallIsAHitWithIdenticalLogits() {
    TeacherResult second = teacher(new TeacherCache(shared), 1);
    assertTrue(second.cacheHit());
    assertEquals(trained.logits(), second.logits());
    assertEquals(trained.testAccuracy(), second.testAccuracy());
    assertEquals(trained.entry(), second.entry());
  }

  @Test
  void anotherSeedIsAnotherEntry() {
    TeacherResult other = teacher(new TeacherCache(own), 2);
    assertFalse(other.cacheHit());
    assertNotEquals(trained.entry().getFileName(), other.entry().getFileName());
    assertNotEquals(trained.logits(), other.logits());
  }

  @Test
  void corruptEntryIsRetrainedToTheSameLogits() throws IOException {
    TeacherCache cache = new TeacherCache(own);
    Path entry = own.resolve(trained.entry().getFileName());
    Files.createDirectories(entry);
    for (String file : new String[] {"teacher.zip", "teacher.properties"}) {
      Files.copy(trained.entry().resolve(file), entry.resolve(file));
    }
    Files.write(entry.resolve("logits.bin"), new byte[] {1, 2, 3});

    TeacherResult again = teacher(cache, 1);

    assertFalse(again.cacheHit());
    assertEquals(trained.logits(), again.logits());
    assertTrue(teacher(cache, 1).cacheHit());
  }

  @Test
  void syntheticTeacherBeatsChanceClearly() {
    // Chance is 0.5 and label noise caps any classifier near 0.77 (see SyntheticDataTest);
    // 0.6 is chance plus about three standard errors of a 200-sample accuracy.
    assertTrue(trained.testAccuracy() > 0.6, "test accuracy " + trained.testAccuracy());
    assertTrue(trained.trainAccuracy() > 0.6, "train accuracy " + trained.trainAccuracy());
  }

  @Test
  void logitsAreTheOutputLayerPreActivation() {
    TeacherTrainer trainer = new TeacherTrainer(TeacherArchitectures.withDefaults());
    var network = trainer.train(DATA.data().teacherTrain(), 2, TeacherArchitectures.LOGREG, 3,
        new TeacherTraining(5, 0, 0.05));
    var inputs = DATA.data().teacherViewOfStudentTrain();
    var softmax = org.nd4j.linalg.factory.Nd4j.nn().softmax(TeacherTrainer.logits(network, inputs), 1);
    assertTrue(softmax.equalsWithEps(network.output(inputs, false), 1e-5));
  }
}
