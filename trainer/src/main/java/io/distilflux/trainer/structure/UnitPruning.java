package io.distilflux.trainer.structure;

import io.distilflux.trainer.complexity.VariationalMlp;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Structured pruning of hidden units (docs/structure.md §2): a unit's score is the sum of the
 * scores of its in-weights and out-weights; keeping the best units of each hidden layer gives a
 * smaller dense network that computes exactly what the large one computes with the other units
 * masked out, with fewer multiplications per example (unstructured zeros save none).
 */
public final class UnitPruning {

  /**
   * A network cut down to the kept units, with its parameters.
   *
   * @param network the smaller shape
   * @param mu its means, flat layout
   * @param rho its log standard deviations, flat layout
   */
  public record Student(VariationalMlp network, double[] mu, double[] rho) {}

  private UnitPruning() {}

  /**
   * Per hidden layer h (the output of layer h), each unit's Σ of the scores of the weights into
   * it (layer h) and out of it (layer h + 1).
   */
  public static double[][] unitScores(VariationalMlp network, double[] parameterScores) {
    if (parameterScores.length != network.parameterCount()) {
      throw new IllegalArgumentException("scores hold " + parameterScores.length
          + " values for " + network.parameterCount() + " parameters");
    }
    double[][] units = new double[network.layers() - 1][];
    for (int h = 0; h < units.length; h++) {
      int width = network.outputWidth(h);
      units[h] = new double[width];
      int in = network.weightOffset(h);
      for (int i = 0; i < network.inputWidth(h); i++) {
        for (int j = 0; j < width; j++) {
          units[h][j] += parameterScores[in + i * width + j];
        }
      }
      int out = network.weightOffset(h + 1);
      int next = network.outputWidth(h + 1);
      for (int j = 0; j < width; j++) {
        for (int k = 0; k < next; k++) {
          units[h][j] += parameterScores[out + j * next + k];
        }
      }
    }
    return units;
  }

  /** The {@code keep} units of largest score, in ascending index order (ties: lower index). */
  public static int[] best(double[] unitScores, int keep) {
    checkKeep(keep, unitScores.length);
    int[] all = IntStream.range(0, unitScores.length).toArray();
    int[] kept = Arrays.copyOf(Ranking.descending(unitScores, all), keep);
    Arrays.sort(kept);
    return kept;
  }

  /** {@code keep} of {@code width} units drawn uniformly with {@code seed}, ascending. */
  public static int[] random(int width, int keep, long seed) {
    checkKeep(keep, width);
    int[] all = IntStream.range(0, width).toArray();
    RandomPruning.shuffle(all, new SplittableRandom(seed));
    int[] kept = Arrays.copyOf(all, keep);
    Arrays.sort(kept);
    return kept;
  }

  /**
   * The smaller network keeping units {@code kept[h]} of each hidden layer h: its layers are the
   * large one's rows and columns of those units.
   */
  public static Student keep(VariationalMlp network, double[] mu, double[] rho, int[][] kept) {
    checkKept(network, kept);
    int[] widths = new int[network.layers() + 1];
    widths[0] = network.inputWidth(0);
    for (int h = 0; h < kept.length; h++) {
      widths[h + 1] = kept[h].length;
    }
    widths[widths.length - 1] = network.classes();
    VariationalMlp small = new VariationalMlp(widths);
    double[] smallMu = new double[small.parameterCount()];
    double[] smallRho = new double[small.parameterCount()];
    for (int l = 0; l < network.layers(); l++) {
      int[] rows = l == 0 ? all(network.inputWidth(0)) : kept[l - 1];
      int[] columns = l == network.layers() - 1 ? all(network.classes()) : kept[l];
      int nOut = network.outputWidth(l);
      int from = network.weightOffset(l);
      int fromBias = from + network.weightCount(l);
      int to = small.weightOffset(l);
      int toBias = to + small.weightCount(l);
      for (int r = 0; r < rows.length; r++) {
        for (int c = 0; c < columns.length; c++) {
          int source = from + rows[r] * nOut + columns[c];
          smallMu[to + r * columns.length + c] = mu[source];
          smallRho[to + r * columns.length + c] = rho[source];
        }
      }
      for (int c = 0; c < columns.length; c++) {
        smallMu[toBias + c] = mu[fromBias + columns[c]];
        smallRho[toBias + c] = rho[fromBias + columns[c]];
      }
    }
    return new Student(small, smallMu, smallRho);
  }

  /**
   * A copy of {@code mu} with every unit outside {@code kept} masked: its in-weights, bias and
   * out-weights set to zero, so that it neither receives nor passes anything.
   */
  public static double[] mask(VariationalMlp network, double[] mu, int[][] kept) {
    checkKept(network, kept);
    double[] masked = mu.clone();
    for (int h = 0; h < kept.length; h++) {
      boolean[] keep = new boolean[network.outputWidth(h)];
      for (int j : kept[h]) {
        keep[j] = true;
      }
      int width = keep.length;
      int in = network.weightOffset(h);
      int bias = in + network.weightCount(h);
      int out = network.weightOffset(h + 1);
      int next = network.outputWidth(h + 1);
      for (int j = 0; j < width; j++) {
        if (keep[j]) {
          continue;
        }
        for (int i = 0; i < network.inputWidth(h); i++) {
          masked[in + i * width + j] = 0;
        }
        masked[bias + j] = 0;
        Arrays.fill(masked, out + j * next, out + (j + 1) * next, 0.0);
      }
    }
    return masked;
  }

  private static int[] all(int n) {
    return IntStream.range(0, n).toArray();
  }

  private static void checkKeep(int keep, int width) {
    if (keep < 1 || keep > width) {
      throw new IllegalArgumentException("units kept must be in 1.." + width + ", got " + keep);
    }
  }

  private static void checkKept(VariationalMlp network, int[][] kept) {
    if (kept.length != network.layers() - 1) {
      throw new IllegalArgumentException("kept units are given for " + kept.length
          + " hidden layers, the network has " + (network.layers() - 1));
    }
    for (int h = 0; h < kept.length; h++) {
      int width = network.outputWidth(h);
      if (kept[h].length < 1) {
        throw new IllegalArgumentException("hidden layer " + h + " keeps no unit");
      }
      for (int k = 0; k < kept[h].length; k++) {
        if (kept[h][k] < 0 || kept[h][k] >= width || (k > 0 && kept[h][k] <= kept[h][k - 1])) {
          throw new IllegalArgumentException("kept units of hidden layer " + h
              + " must be ascending and in 0.." + (width - 1) + ", got "
              + Arrays.toString(kept[h]));
        }
      }
    }
  }
}
