package io.distilflux.trainer.structure;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.eigen.Eigen;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Belsley's collinearity diagnostics of a symmetric positive semi-definite matrix A (a
 * precision, or XᵀX of a design X), taken in correlation form D^{−½}AD^{−½}: with A = UΛUᵀ, the
 * condition index of component j is η_j = λ_max/λ_j, and the variance proportion of parameter i
 * on component j is q_ij = (u_ij²/λ_j)/Σ_k(u_ik²/λ_k), the share of component j in parameter i's
 * variance. A large η marks a near-dependence; the parameters with large proportions on it are
 * the ones involved.
 *
 * <p>Components are sorted by ascending condition index. Eigenvalues are taken in absolute value
 * (the singular values of a symmetric matrix) and floored at λ_max·1e-30, so that an exact null
 * direction reads as a huge but finite index.
 *
 * @param conditionIndices η per component, ascending
 * @param proportions q[component][parameter]
 */
public record BelsleyDiagnostics(double[] conditionIndices, double[][] proportions) {

  private static final double FLOOR = 1e-30;

  /** The diagnostics of {@code matrix} (square, symmetric, positive diagonal). */
  public static BelsleyDiagnostics of(double[][] matrix) {
    int n = matrix.length;
    double[][] scaled = new double[n][n];
    for (int i = 0; i < n; i++) {
      if (matrix[i].length != n) {
        throw new IllegalArgumentException("matrix is not square");
      }
      if (!(matrix[i][i] > 0)) {
        throw new IllegalArgumentException("diagonal entry " + i + " is not positive: "
            + matrix[i][i]);
      }
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        // symmetrised, so that rounding in the input cannot make the decomposition fail
        double a = 0.5 * (matrix[i][j] + matrix[j][i]);
        scaled[i][j] = a / Math.sqrt(matrix[i][i] * matrix[j][j]);
      }
    }
    // LAPACK's symmetric solver: its null-space vectors are orthogonal to the rest to rounding
    INDArray vectors = Nd4j.create(scaled).castTo(DataType.DOUBLE);
    double[] values = Eigen.symmetricGeneralizedEigenvalues(vectors, true).toDoubleVector();
    double max = 0;
    for (double v : values) {
      max = Math.max(max, Math.abs(v));
    }
    double[] lambda = new double[n];
    for (int j = 0; j < n; j++) {
      lambda[j] = Math.max(Math.abs(values[j]), max * FLOOR);
    }
    Integer[] byIndex = new Integer[n];
    for (int j = 0; j < n; j++) {
      byIndex[j] = j;
    }
    Arrays.sort(byIndex, (x, y) -> Double.compare(lambda[y], lambda[x]));
    double[] eta = new double[n];
    double[][] q = new double[n][n];
    double[] total = new double[n];
    for (int c = 0; c < n; c++) {
      int j = byIndex[c];
      eta[c] = max / lambda[j];
      double[] u = vectors.getColumn(j).toDoubleVector();
      for (int i = 0; i < n; i++) {
        q[c][i] = u[i] * u[i] / lambda[j];
        total[i] += q[c][i];
      }
    }
    for (double[] row : q) {
      for (int i = 0; i < n; i++) {
        row[i] /= total[i];
      }
    }
    return new BelsleyDiagnostics(eta, q);
  }

  /** Number of components (and of parameters). */
  public int size() {
    return conditionIndices.length;
  }
}
