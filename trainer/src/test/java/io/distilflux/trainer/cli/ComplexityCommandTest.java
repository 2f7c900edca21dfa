package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code experiment complexity} end to end on small generated MNIST files, and its bad input. */
class ComplexityCommandTest {

  @TempDir Path dir;

  @Test
  void writesTheReportTheCsvAndTheChart() throws IOException {
    Path data = dir.resolve("mnist");
    writeMnist(data, 300, 100);
    Path out = dir.resolve("out");
    CliOutcome outcome = CliOutcome.execute("experiment", "complexity", "--data-dir",
        data.toString(), "--output", out.toString(), "--lambdas", "0.1,100",
        "--variants", "direct,low-rank-fine-tuned,linear", "--hidden", "8", "--optimizer", "sgd");
    assertEquals(0, outcome.exitCode(), outcome.err());
    String page = Files.readString(out.resolve("complexity.md"));
    assertTrue(page.contains("| (а) direct | "), page);
    assertTrue(page.contains("SGD 0.01, momentum 0.9"), page);
    assertTrue(page.contains("*paper а*"), page);
    assertTrue(page.contains("(г) low-rank + fine-tune"), page);
    assertTrue(page.contains("## Pass criteria"), page);
    List<String> csv = Files.readAllLines(out.resolve("results.csv"));
    assertEquals(1 + 3 * 2, csv.size(), String.join("\n", csv));
    assertTrue(page.contains("## The parts of 𝔏"), page);
    // every row: 𝔏 = E_q log p − λ·KL
    assertTrue(csv.get(0).startsWith("variant,lambda,accuracy,stability,evidence,kl,"
        + "expected_log_likelihood,mean_log_likelihood,"), csv.get(0));
    for (String line : csv.subList(1, csv.size())) {
      String[] row = line.split(",");
      double lambda = Double.parseDouble(row[1]);
      double evidence = Double.parseDouble(row[4]);
      double kl = Double.parseDouble(row[5]);
      double expected = Double.parseDouble(row[6]);
      assertEquals(expected - lambda * kl, evidence, 1e-2 * (1 + lambda), line);
    }
    assertTrue(Files.size(out.resolve("pruning-curves.png")) > 1000);
  }

  @Test
  void theOnlineVariantTunesLambdaThroughThePipelineAndIsReportedBesideTheDirectModels()
      throws IOException {
    Path data = dir.resolve("mnist");
    writeMnist(data, 300, 100);
    Path out = dir.resolve("out");
    CliOutcome outcome = CliOutcome.execute("experiment", "complexity", "--data-dir",
        data.toString(), "--output", out.toString(), "--lambdas", "1,10", "--variants",
        "direct,online", "--hidden", "8", "--direct-epochs", "2", "--online-start", "10");
    assertEquals(0, outcome.exitCode(), outcome.err());
    String page = Files.readString(out.resolve("complexity.md"));
    assertTrue(page.contains("## Online λ_c"), page);
    assertTrue(page.contains("| (λc) online λ_c | 10 → "), page);
    assertTrue(page.contains("| (а) direct, fixed λ | 10 | "), page);
    List<String> online = Files.readAllLines(out.resolve("results.csv")).stream()
        .filter(line -> line.startsWith("online,")).toList();
    assertEquals(1, online.size(), String.join("\n", online));
    String[] row = online.get(0).split(",");
    double end = Double.parseDouble(row[1]);
    assertTrue(end > 0.1 && end < 100 && end != 10.0, "λ_c was not tuned: " + end);
    double accuracy = Double.parseDouble(row[2]);
    assertTrue(accuracy > 0.2, "the online student did not learn: " + accuracy);
    assertTrue(Double.isFinite(Double.parseDouble(row[4])), "𝔏 " + row[4]);
  }

  @Test
  void badInputEndsWithOneLineAndExitTwo() throws IOException {
    CliOutcome missing = CliOutcome.execute("experiment", "complexity", "--data-dir",
        dir.resolve("none").toString(), "--output", dir.resolve("o").toString());
    assertEquals(2, missing.exitCode());
    assertTrue(missing.err().startsWith("distilflux: "), missing.err());
    CliOutcome lambda = CliOutcome.execute("experiment", "complexity", "--lambdas", "-1");
    assertEquals(2, lambda.exitCode());
    assertTrue(lambda.err().contains("--lambdas"), lambda.err());
    CliOutcome epochs = CliOutcome.execute("experiment", "complexity", "--hyper-epochs", "0");
    assertEquals(2, epochs.exitCode());
    assertTrue(epochs.err().contains("--hyper-epochs"), epochs.err());
    CliOutcome momentum = CliOutcome.execute("experiment", "complexity", "--optimizer", "sgd",
        "--momentum", "1");
    assertEquals(2, momentum.exitCode());
    assertTrue(momentum.err().contains("--momentum"), momentum.err());
    CliOutcome optimizer = CliOutcome.execute("experiment", "complexity", "--optimizer", "rms");
    assertEquals(2, optimizer.exitCode());
    assertTrue(optimizer.err().contains("--optimizer"), optimizer.err());
    CliOutcome start = CliOutcome.execute("experiment", "complexity", "--online-start", "100");
    assertEquals(2, start.exitCode());
    assertTrue(start.err().contains("--online-start"), start.err());
    CliOutcome none = CliOutcome.execute("experiment");
    assertEquals(2, none.exitCode());
    assertTrue(none.err().contains("DATASET"), none.err());
  }

  /** Uncompressed idx files: digit-like blobs, each class brighter in its own band of rows. */
  static void writeMnist(Path folder, int train, int test) throws IOException {
    Files.createDirectories(folder);
    Random random = new Random(3);
    for (String[] set : new String[][] {{"train", Integer.toString(train)},
        {"t10k", Integer.toString(test)}}) {
      int n = Integer.parseInt(set[1]);
      ByteBuffer images = ByteBuffer.allocate(16 + n * 784);
      images.putInt(2051).putInt(n).putInt(28).putInt(28);
      ByteBuffer labels = ByteBuffer.allocate(8 + n);
      labels.putInt(2049).putInt(n);
      for (int e = 0; e < n; e++) {
        int label = random.nextInt(10);
        labels.put((byte) label);
        for (int p = 0; p < 784; p++) {
          int row = p / 28;
          boolean band = row / 3 == label || random.nextInt(20) == 0;
          images.put((byte) (band ? 128 + random.nextInt(128) : 0));
        }
      }
      Files.write(folder.resolve(set[0] + "-images-idx3-ubyte"), images.array());
      Files.write(folder.resolve(set[0] + "-labels-idx1-ubyte"), labels.array());
    }
  }
}
