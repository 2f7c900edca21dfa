package io.distilflux.trainer.structure;

import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.VariationalMlp;
import java.util.Arrays;

/**
 * The Laplace posterior precision of a network's output layer (weights and biases): the
 * Gauss–Newton matrix of the cross-entropy, Σ_n J_nᵀ(diag p_n − p_n p_nᵀ)J_n over the training
 * set (estimated from a sample and scaled to the set's size), plus the prior's precision
 * I/s_p². With h̃ = (h, 1) the hidden layer's output and a bias, the entry of parameters (i, c)
 * and (j, d) is Σ_n h̃_i h̃_j (diag p − ppᵀ)_cd. This is the matrix the Belsley rule decomposes.
 *
 * @param parameters the flat indices of the output layer's parameters, in the matrix's order
 *     (the flat layout's: weights row by row, then biases)
 * @param matrix the precision
 */
public record OutputPrecision(int[] parameters, double[][] matrix) {

  /**
   * The precision at the means {@code mu} from the examples of {@code sample}, scaled to a
   * training set of {@code trainingSize} examples, with prior variance s_p².
   */
  public static OutputPrecision of(VariationalMlp network, double[] mu, Examples sample,
      int trainingSize, double priorVariance) {
    int last = network.layers() - 1;
    int nIn = network.inputWidth(last);
    int classes = network.classes();
    int width = nIn + 1;
    int size = width * classes;
    // the layers below the output: the same flat prefix, their last layer read before its ReLU
    int[] belowWidths = new int[network.layers()];
    for (int l = 0; l < network.layers(); l++) {
      belowWidths[l] = network.inputWidth(l);
    }
    VariationalMlp below = belowWidths.length >= 2 ? new VariationalMlp(belowWidths) : null;
    double[] belowMu = below == null ? null : Arrays.copyOf(mu, below.parameterCount());
    VariationalMlp.Buffers full = network.buffers(1);
    VariationalMlp.Buffers hidden = below == null ? null : below.buffers(1);
    double[][][] blocks = new double[classes][classes][];
    for (int c = 0; c < classes; c++) {
      for (int d = c; d < classes; d++) {
        blocks[c][d] = new double[width * width];
      }
    }
    double[] h = new double[width];
    double[] p = new double[classes];
    double[] outer = new double[width * width];
    int[] one = {0};
    for (int e = 0; e < sample.count(); e++) {
      one[0] = e;
      sample.copyRows(one, 0, 1, full.input());
      network.meanForward(mu, full, 1);
      softmax(full.logits(), p);
      if (below == null) {
        System.arraycopy(full.input(), 0, h, 0, nIn);
      } else {
        sample.copyRows(one, 0, 1, hidden.input());
        below.meanForward(belowMu, hidden, 1);
        for (int i = 0; i < nIn; i++) {
          h[i] = Math.max(0, hidden.logits()[i]);
        }
      }
      h[nIn] = 1;
      for (int i = 0; i < width; i++) {
        for (int j = 0; j < width; j++) {
          outer[i * width + j] = h[i] * h[j];
        }
      }
      for (int c = 0; c < classes; c++) {
        for (int d = c; d < classes; d++) {
          double m = (c == d ? p[c] : 0) - p[c] * p[d];
          double[] block = blocks[c][d];
          for (int k = 0; k < outer.length; k++) {
            block[k] += m * outer[k];
          }
        }
      }
    }
    double scale = (double) trainingSize / sample.count();
    double[][] a = new double[size][size];
    for (int c = 0; c < classes; c++) {
      for (int d = c; d < classes; d++) {
        double[] block = blocks[c][d];
        for (int i = 0; i < width; i++) {
          for (int j = 0; j < width; j++) {
            double v = scale * block[i * width + j];
            a[row(i, c, nIn, classes)][row(j, d, nIn, classes)] = v;
            a[row(j, d, nIn, classes)][row(i, c, nIn, classes)] = v;
          }
        }
      }
    }
    for (int k = 0; k < size; k++) {
      a[k][k] += 1 / priorVariance;
    }
    int offset = network.weightOffset(last);
    int[] parameters = new int[size];
    for (int k = 0; k < size; k++) {
      parameters[k] = offset + k;
    }
    return new OutputPrecision(parameters, a);
  }

  /** The matrix row of weight (i, c), or of bias c when i = nIn: the flat layout's order. */
  private static int row(int i, int c, int nIn, int classes) {
    return i < nIn ? i * classes + c : nIn * classes + c;
  }

  private static void softmax(double[] logits, double[] p) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < p.length; c++) {
      max = Math.max(max, logits[c]);
    }
    double z = 0;
    for (int c = 0; c < p.length; c++) {
      p[c] = Math.exp(logits[c] - max);
      z += p[c];
    }
    for (int c = 0; c < p.length; c++) {
      p[c] /= z;
    }
  }
}
