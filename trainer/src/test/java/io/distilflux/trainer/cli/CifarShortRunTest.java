package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job on a CIFAR-10 folder the test writes in the binary batch layout. */
class CifarShortRunTest {

  private static final int RECORD = 1 + 3 * 32 * 32;

  @Test
  void aShortRunOnTestMadeCifarFilesTrainsEveryModeAndWritesTheResults(@TempDir Path dir)
      throws IOException {
    Path data = Files.createDirectories(dir.resolve("cifar"));
    writeBatch(data.resolve("data_batch_1_part.bin"), 40, 1);
    writeBatch(data.resolve("data_batch_2_part.bin"), 16, 2);
    writeBatch(data.resolve("data_batch_3_part.bin"), 16, 3);
    writeBatch(data.resolve("test_batch_part.bin"), 24, 4);
    Path out = dir.resolve("out");

    int exit = Distilflux.execute("run", "--dataset", "cifar10", "--data-dir", data.toString(),
        "--epochs", "2", "--batch-size", "16", "--teacher-epochs", "1", "--seeds", "1",
        "--modes", "no-distillation,hypergradient,forecast", "--mini-epoch", "2",
        "--evaluate-every", "3", "--transport", "direct", "--metrics-port", "0",
        "--output", out.toString());

    assertEquals(0, exit);
    List<String> rows = Files.readAllLines(out.resolve("results.csv"));
    assertEquals(4, rows.size(), rows.toString()); // header + one row per run
    for (String row : rows.subList(1, rows.size())) {
      String[] cells = row.split(",", -1);
      assertEquals("cifar10", cells[1]);
      assertEquals("6", cells[4], row); // 40 images in batches of 16: 3 steps an epoch, 2 epochs
      double accuracy = Double.parseDouble(cells[5]);
      assertTrue(accuracy >= 0 && accuracy <= 1, row);
      assertEquals("", cells[12], row); // no failure
    }
    assertTrue(rows.get(2).contains("hypergradient,42,6,") && rows.get(2).contains(",6,0,"),
        rows.get(2)); // hypergradient mode: every step computed a hypergradient
    assertTrue(rows.get(3).contains("forecast,42,6,") && rows.get(3).contains(",4,2,"),
        rows.get(3)); // E = 2, n = 2: steps 0,1 and 4,5 hypergradient, 2,3 forecast
    assertTrue(Files.size(out.resolve("results.json")) > 0);
  }

  /** Records of random pixels with labels cycling 0–9, in CIFAR-10's binary layout. */
  private static void writeBatch(Path file, int records, long seed) throws IOException {
    byte[] bytes = new byte[records * RECORD];
    Random random = new Random(seed);
    random.nextBytes(bytes);
    for (int i = 0; i < records; i++) {
      bytes[i * RECORD] = (byte) (i % 10);
    }
    Files.write(file, bytes);
  }
}
