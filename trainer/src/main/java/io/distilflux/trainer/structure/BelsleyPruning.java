package io.distilflux.trainer.structure;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The Belsley rule: take the component ξ of largest condition index of the posterior precision
 * and remove the parameter ζ with the largest variance proportion on it (the one most caught in
 * the near-dependence), then the next component, and so on. The diagnostics are refreshed after
 * every {@code refreshFraction} of the candidates has been removed, on the precision restricted
 * to the parameters still present.
 *
 * <p>The matrix covers a set of parameters (e.g. the output layer's weights and biases); the
 * candidates must lie in it. Parameters of the set that are not candidates (the biases) stay in
 * the matrix and are never removed.
 */
public final class BelsleyPruning implements PruningEstimator {

  private final double[][] precision;
  private final int[] parameters;
  private final double refreshFraction;

  /**
   * @param precision the precision over {@code parameters}, in their order
   * @param parameters the flat indices the matrix's rows stand for
   * @param refreshFraction the share of the candidates removed between two decompositions, in
   *     (0, 1]
   */
  public BelsleyPruning(double[][] precision, int[] parameters, double refreshFraction) {
    if (precision.length != parameters.length) {
      throw new IllegalArgumentException("precision has " + precision.length + " rows for "
          + parameters.length + " parameters");
    }
    if (!(refreshFraction > 0 && refreshFraction <= 1)) {
      throw new IllegalArgumentException("refresh fraction must be in (0, 1], got "
          + refreshFraction);
    }
    this.precision = precision;
    this.parameters = parameters.clone();
    this.refreshFraction = refreshFraction;
  }

  @Override
  public int[] removalOrder(int[] candidates) {
    int[] rowOf = new int[Arrays.stream(parameters).max().orElse(-1) + 1];
    Arrays.fill(rowOf, -1);
    for (int r = 0; r < parameters.length; r++) {
      rowOf[parameters[r]] = r;
    }
    boolean[] candidate = new boolean[parameters.length];
    boolean[] removed = new boolean[parameters.length];
    for (int c : candidates) {
      if (c < 0 || c >= rowOf.length || rowOf[c] < 0) {
        throw new IllegalArgumentException("candidate " + c + " is not covered by the precision");
      }
      candidate[rowOf[c]] = true;
    }
    int left = candidates.length;
    int batch = Math.max(1, (int) Math.round(refreshFraction * candidates.length));
    List<Integer> order = new ArrayList<>();
    while (left > 0) {
      // rows present: every non-candidate row, and the candidates not yet removed
      int[] rows = IntStream.range(0, parameters.length).filter(r -> !removed[r]).toArray();
      double[][] sub = new double[rows.length][rows.length];
      for (int i = 0; i < rows.length; i++) {
        for (int j = 0; j < rows.length; j++) {
          sub[i][j] = precision[rows[i]][rows[j]];
        }
      }
      BelsleyDiagnostics d = BelsleyDiagnostics.of(sub);
      int take = Math.min(batch, left);
      // components from the largest condition index down, one removal each
      for (int c = d.size() - 1; c >= 0 && take > 0; c--) {
        double[] q = d.proportions()[c];
        int best = -1;
        for (int i = 0; i < rows.length; i++) {
          if (candidate[rows[i]] && !removed[rows[i]] && (best < 0 || q[i] > q[best])) {
            best = i;
          }
        }
        removed[rows[best]] = true;
        order.add(parameters[rows[best]]);
        take--;
        left--;
      }
    }
    return order.stream().mapToInt(Integer::intValue).toArray();
  }
}
