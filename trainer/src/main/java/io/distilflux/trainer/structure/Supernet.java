package io.distilflux.trainer.structure;

import io.distilflux.trainer.complexity.Examples;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A small supernet over dense students (docs/structure.md §7): two edges, each mixing candidate
 * blocks with structure weights γ on the simplex. Edge 0 chooses the hidden layer's width: block
 * h is ReLU(W_h x + b_h) with {@code widths[h]} units, zero-padded to the widest, H units; the
 * hidden vector is z = Σ_h γ_0h·pad(block_h(x)). Edge 1 chooses the output's depth: block d is
 * linear H → classes, or, when {@code deep[d]}, H → D ReLU → classes; the logits are
 * Σ_d γ_1d·block_d(z). Every block has its own weights. With γ one-hot the supernet is one
 * discrete student, which {@link #discrete} cuts out as a supernet with one block per edge.
 *
 * <p>The weights are one flat array: the width blocks in order (W_h row-major [units, input],
 * then b_h), then the depth blocks (for a deep one W [D, H], b [D], then W [classes, D],
 * b [classes]; for a linear one W [classes, H], b [classes]). The structure weights are one flat
 * array too, edge 0's K_0 entries then edge 1's K_1 ({@link #offset}).
 */
public final class Supernet {

  /** The number of edges (hidden width, output depth). */
  public static final int EDGES = 2;

  private final int input;
  private final int[] widths;
  private final boolean[] deep;
  private final int deepWidth;
  private final int classes;
  private final int hidden;
  private final int[] widthStart;
  private final int[] depthStart;
  private final int parameters;

  /**
   * @param input features per example
   * @param widths the hidden widths, one block each (at least one, each >= 1)
   * @param deep per output block, whether it has a hidden ReLU layer of {@code deepWidth} units
   * @param deepWidth D, the units of a deep output block's hidden layer
   * @param classes output classes
   */
  public Supernet(int input, int[] widths, boolean[] deep, int deepWidth, int classes) {
    if (input < 1 || classes < 2 || deepWidth < 1 || widths.length < 1 || deep.length < 1) {
      throw new IllegalArgumentException("a supernet needs input >= 1, classes >= 2, D >= 1 and"
          + " at least one block per edge");
    }
    this.input = input;
    this.widths = widths.clone();
    this.deep = deep.clone();
    this.deepWidth = deepWidth;
    this.classes = classes;
    int h = 0;
    for (int units : widths) {
      if (units < 1) {
        throw new IllegalArgumentException("widths must be >= 1, got " + Arrays.toString(widths));
      }
      h = Math.max(h, units);
    }
    this.hidden = h;
    widthStart = new int[widths.length];
    int at = 0;
    for (int b = 0; b < widths.length; b++) {
      widthStart[b] = at;
      at += widths[b] * (input + 1);
    }
    depthStart = new int[deep.length];
    for (int d = 0; d < deep.length; d++) {
      depthStart[d] = at;
      at += deep[d] ? deepWidth * (hidden + 1) + classes * (deepWidth + 1)
          : classes * (hidden + 1);
    }
    parameters = at;
  }

  /** The paper protocol's supernet: widths {100, 50, 10}, output linear or 100 → 100 ReLU → 10. */
  public static Supernet standard(int input, int classes) {
    return new Supernet(input, new int[] {100, 50, 10}, new boolean[] {false, true}, 100,
        classes);
  }

  /** The number of weights and biases. */
  public int parameterCount() {
    return parameters;
  }

  /** Features per example. */
  public int inputWidth() {
    return input;
  }

  /** Output classes. */
  public int classes() {
    return classes;
  }

  /** K_e, the number of blocks on edge {@code edge}. */
  public int choices(int edge) {
    return switch (edge) {
      case 0 -> widths.length;
      case 1 -> deep.length;
      default -> throw new IllegalArgumentException("edge must be 0 or 1, got " + edge);
    };
  }

  /** Where edge {@code edge}'s entries start in the flat structure weights or logits. */
  public int offset(int edge) {
    return edge == 0 ? 0 : choices(0);
  }

  /** ΣK, the length of the flat structure weights. */
  public int structureSize() {
    return widths.length + deep.length;
  }

  /** The hidden widths, one per block of edge 0. */
  public int[] widths() {
    return widths.clone();
  }

  /** Per block of edge 1, whether it has a hidden layer. */
  public boolean[] deep() {
    return deep.clone();
  }

  /** The hidden layer widths of one discrete choice, input side first. */
  public int[] hiddenSizes(int[] choice) {
    checkChoice(choice);
    return deep[choice[1]] ? new int[] {widths[choice[0]], deepWidth}
        : new int[] {widths[choice[0]]};
  }

  /** A short name of one discrete choice, such as "784-50-100-10". */
  public String describe(int[] choice) {
    return input + "-" + widths[choice[0]] + (deep[choice[1]] ? "-" + deepWidth : "") + "-"
        + classes;
  }

  /**
   * One dense layer of one block: its weights and biases are the flat entries {@code from …
   * to − 1}.
   *
   * @param edge the block's edge
   * @param block the block's index on its edge
   * @param from the layer's first entry
   * @param to one past its last entry
   */
  public record Layer(int edge, int block, int from, int to) {

    /** The layer's weights and biases. */
    public int size() {
      return to - from;
    }
  }

  /**
   * Every dense layer, block by block in the flat layout: one per width block, one per linear
   * output block, two per deep one.
   */
  public List<Layer> layers() {
    List<Layer> layers = new ArrayList<>();
    for (int h = 0; h < widths.length; h++) {
      layers.add(new Layer(0, h, widthStart[h], widthStart[h] + widths[h] * (input + 1)));
    }
    for (int d = 0; d < deep.length; d++) {
      int at = depthStart[d];
      if (deep[d]) {
        int second = at + deepWidth * (hidden + 1);
        layers.add(new Layer(1, d, at, second));
        layers.add(new Layer(1, d, second, second + classes * (deepWidth + 1)));
      } else {
        layers.add(new Layer(1, d, at, at + classes * (hidden + 1)));
      }
    }
    return layers;
  }

  /** Glorot-uniform weights, zero biases. */
  public void initialise(double[] w, RandomGenerator random) {
    Arrays.fill(w, 0);
    for (int b = 0; b < widths.length; b++) {
      glorot(w, widthStart[b], widths[b], input, random);
    }
    for (int d = 0; d < deep.length; d++) {
      if (deep[d]) {
        glorot(w, depthStart[d], deepWidth, hidden, random);
        glorot(w, depthStart[d] + deepWidth * (hidden + 1), classes, deepWidth, random);
      } else {
        glorot(w, depthStart[d], classes, hidden, random);
      }
    }
  }

  private static void glorot(double[] w, int start, int out, int in, RandomGenerator random) {
    double limit = Math.sqrt(6.0 / (in + out));
    for (int k = 0; k < out * in; k++) {
      w[start + k] = (2 * random.nextDouble() - 1) * limit;
    }
  }

  /** Activations and gradient buffers for up to {@code rows} examples. */
  public Buffers buffers(int rows) {
    return new Buffers(rows);
  }

  /** Per-batch buffers; {@link #input} is filled by the caller, {@link #logits} by forward. */
  public final class Buffers {
    private final int capacity;
    private final double[] input;
    private final double[][] blocks;
    private final double[] mixed;
    private final double[][] inner;
    private final double[][] outputs;
    private final double[] logits;
    private final double[] gradMixed;
    private final double[] gradOutput;
    private final double[] gradInner;
    private final double[] gradBlock;

    private Buffers(int rows) {
      capacity = rows;
      input = new double[rows * Supernet.this.input];
      blocks = new double[widths.length][];
      for (int b = 0; b < widths.length; b++) {
        blocks[b] = new double[rows * widths[b]];
      }
      mixed = new double[rows * hidden];
      inner = new double[deep.length][];
      outputs = new double[deep.length][];
      for (int d = 0; d < deep.length; d++) {
        inner[d] = deep[d] ? new double[rows * deepWidth] : null;
        outputs[d] = new double[rows * classes];
      }
      logits = new double[rows * classes];
      gradMixed = new double[rows * hidden];
      gradOutput = new double[rows * classes];
      gradInner = new double[rows * deepWidth];
      gradBlock = new double[rows * hidden];
    }

    /** The input rows [rows, input], row-major. */
    public double[] input() {
      return input;
    }

    /** The logits [rows, classes] of the last forward pass. */
    public double[] logits() {
      return logits;
    }
  }

  /**
   * The logits of {@code rows} examples in {@code b.input()} under weights w and structure
   * weights γ (flat, {@link #structureSize} entries), into {@code b.logits()}.
   */
  public double[] forward(double[] w, double[] gamma, Buffers b, int rows) {
    check(w, gamma, b, rows);
    double[] z = b.mixed;
    Arrays.fill(z, 0, rows * hidden, 0);
    for (int h = 0; h < widths.length; h++) {
      int units = widths[h];
      double[] a = b.blocks[h];
      dense(w, widthStart[h], units, input, b.input, rows, a, true);
      double g = gamma[h];
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < units; j++) {
          z[r * hidden + j] += g * a[r * units + j];
        }
      }
    }
    double[] logits = b.logits;
    Arrays.fill(logits, 0, rows * classes, 0);
    for (int d = 0; d < deep.length; d++) {
      double[] o = b.outputs[d];
      if (deep[d]) {
        dense(w, depthStart[d], deepWidth, hidden, z, rows, b.inner[d], true);
        dense(w, depthStart[d] + deepWidth * (hidden + 1), classes, deepWidth, b.inner[d], rows,
            o, false);
      } else {
        dense(w, depthStart[d], classes, hidden, z, rows, o, false);
      }
      double g = gamma[widths.length + d];
      for (int k = 0; k < rows * classes; k++) {
        logits[k] += g * o[k];
      }
    }
    return logits;
  }

  /**
   * Back-propagates dL/dlogits through the last {@link #forward} of the same buffers: writes
   * dL/dw into {@code gradW} and dL/dγ into {@code gradGamma}. A null {@code gradW} skips the
   * weight gradients (dL/dγ alone costs no pass over the first layer's weights).
   */
  public void backward(double[] w, double[] gamma, Buffers b, int rows, double[] gradLogits,
      double[] gradW, double[] gradGamma) {
    check(w, gamma, b, rows);
    if ((gradW != null && gradW.length != parameters) || gradGamma.length != structureSize()) {
      throw new IllegalArgumentException("gradient buffers differ from the supernet's sizes");
    }
    if (gradW != null) {
      Arrays.fill(gradW, 0);
    }
    double[] gz = b.gradMixed;
    Arrays.fill(gz, 0, rows * hidden, 0);
    double[] go = b.gradOutput;
    for (int d = 0; d < deep.length; d++) {
      double[] o = b.outputs[d];
      double dot = 0;
      for (int k = 0; k < rows * classes; k++) {
        dot += gradLogits[k] * o[k];
      }
      int e = widths.length + d;
      gradGamma[e] = dot;
      for (int k = 0; k < rows * classes; k++) {
        go[k] = gamma[e] * gradLogits[k];
      }
      if (deep[d]) {
        int second = depthStart[d] + deepWidth * (hidden + 1);
        double[] gu = b.gradInner;
        denseBackward(w, second, classes, deepWidth, b.inner[d], rows, go, gradW, gu, false);
        double[] u = b.inner[d];
        for (int k = 0; k < rows * deepWidth; k++) {
          if (u[k] <= 0) {
            gu[k] = 0;
          }
        }
        denseBackward(w, depthStart[d], deepWidth, hidden, b.mixed, rows, gu, gradW, gz, true);
      } else {
        denseBackward(w, depthStart[d], classes, hidden, b.mixed, rows, go, gradW, gz, true);
      }
    }
    double[] ga = b.gradBlock;
    for (int h = 0; h < widths.length; h++) {
      int units = widths[h];
      double[] a = b.blocks[h];
      double dot = 0;
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < units; j++) {
          double g = gz[r * hidden + j];
          dot += g * a[r * units + j];
          ga[r * units + j] = a[r * units + j] > 0 ? gamma[h] * g : 0;
        }
      }
      gradGamma[h] = dot;
      if (gradW != null) {
        denseBackward(w, widthStart[h], units, input, b.input, rows, ga, gradW, null, false);
      }
    }
  }

  /** out[r] = W x[r] + b (ReLU when {@code relu}), W row-major [outs, ins] at {@code start}. */
  private static void dense(double[] w, int start, int outs, int ins, double[] x, int rows,
      double[] out, boolean relu) {
    int bias = start + outs * ins;
    for (int r = 0; r < rows; r++) {
      int xr = r * ins;
      for (int j = 0; j < outs; j++) {
        int wj = start + j * ins;
        double s = w[bias + j];
        for (int i = 0; i < ins; i++) {
          s += w[wj + i] * x[xr + i];
        }
        out[r * outs + j] = relu && s < 0 ? 0 : s;
      }
    }
  }

  /**
   * Adds dL/dW and dL/db of a dense layer given dL/dout (unless {@code gradW} is null); when
   * {@code gradX} is not null, writes (or, with {@code accumulate}, adds) dL/dx.
   */
  private static void denseBackward(double[] w, int start, int outs, int ins, double[] x,
      int rows, double[] gradOut, double[] gradW, double[] gradX, boolean accumulate) {
    int bias = start + outs * ins;
    if (gradX != null && !accumulate) {
      Arrays.fill(gradX, 0, rows * ins, 0);
    }
    for (int r = 0; r < rows; r++) {
      int xr = r * ins;
      for (int j = 0; j < outs; j++) {
        double g = gradOut[r * outs + j];
        if (g == 0) {
          continue;
        }
        int wj = start + j * ins;
        if (gradW != null) {
          gradW[bias + j] += g;
          for (int i = 0; i < ins; i++) {
            gradW[wj + i] += g * x[xr + i];
          }
        }
        if (gradX != null) {
          for (int i = 0; i < ins; i++) {
            gradX[xr + i] += g * w[wj + i];
          }
        }
      }
    }
  }

  /** The share of {@code data}'s examples whose largest logit is their label, at weights γ. */
  public double accuracy(double[] w, double[] gamma, Examples data) {
    int rows = Math.min(500, data.count());
    Buffers b = buffers(rows);
    int[] order = new int[data.count()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    int correct = 0;
    for (int from = 0; from < data.count(); from += rows) {
      int n = Math.min(rows, data.count() - from);
      data.copyRows(order, from, n, b.input);
      double[] z = forward(w, gamma, b, n);
      for (int r = 0; r < n; r++) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
          if (z[r * classes + c] > z[r * classes + best]) {
            best = c;
          }
        }
        if (best == data.labels()[from + r]) {
          correct++;
        }
      }
    }
    return (double) correct / data.count();
  }

  /**
   * The discrete student of one choice (a block index per edge): a supernet with that single
   * block on each edge, so that its hidden width is the chosen one.
   */
  public Supernet discrete(int[] choice) {
    checkChoice(choice);
    return new Supernet(input, new int[] {widths[choice[0]]}, new boolean[] {deep[choice[1]]},
        deepWidth, classes);
  }

  /**
   * The discrete student's weights taken from the supernet's: the chosen blocks' weights, the
   * output block's columns cut to the chosen width (the padding's columns only ever met zeros).
   * With γ at that vertex, the student computes the supernet's logits exactly.
   */
  public double[] discreteWeights(double[] w, int[] choice) {
    checkChoice(choice);
    Supernet student = discrete(choice);
    double[] s = new double[student.parameterCount()];
    int units = widths[choice[0]];
    int width = widthStart[choice[0]];
    System.arraycopy(w, width, s, 0, units * (input + 1));
    int from = depthStart[choice[1]];
    int to = student.depthStart[0];
    int outs = deep[choice[1]] ? deepWidth : classes;
    for (int j = 0; j < outs; j++) {
      System.arraycopy(w, from + j * hidden, s, to + j * units, units);
    }
    System.arraycopy(w, from + outs * hidden, s, to + outs * units, outs);
    if (deep[choice[1]]) {
      int rest = classes * (deepWidth + 1);
      System.arraycopy(w, from + deepWidth * (hidden + 1), s, to + deepWidth * (units + 1), rest);
    }
    return s;
  }

  /** γ at the vertex of one choice: 1 on each chosen block, 0 elsewhere. */
  public double[] vertex(int[] choice) {
    checkChoice(choice);
    double[] gamma = new double[structureSize()];
    gamma[choice[0]] = 1;
    gamma[offset(1) + choice[1]] = 1;
    return gamma;
  }

  private void checkChoice(int[] choice) {
    if (choice.length != EDGES || choice[0] < 0 || choice[0] >= widths.length || choice[1] < 0
        || choice[1] >= deep.length) {
      throw new IllegalArgumentException("a choice is one block index per edge, got "
          + Arrays.toString(choice));
    }
  }

  private void check(double[] w, double[] gamma, Buffers b, int rows) {
    if (w.length != parameters || gamma.length != structureSize()) {
      throw new IllegalArgumentException("weights or structure weights differ from the "
          + "supernet's sizes");
    }
    if (rows < 1 || rows > b.capacity) {
      throw new IllegalArgumentException("rows must be in 1.." + b.capacity + ", got " + rows);
    }
  }
}
