package io.distilflux.trainer.complexity;

import java.util.Map;

/**
 * The published figures of Grebenkova, Bakhteev and Strijov (2021), Tables 1–3, at λ = 10⁻¹,
 * 10⁰, 10¹, 10² (docs/complexity.md §3), for the report to print beside ours.
 */
public final class PaperTables {

  /**
   * One variant's row.
   *
   * @param accuracy Table 1, per λ
   * @param updates Table 1's update count
   * @param stability Table 2, per λ
   * @param evidence Table 3, per λ
   */
  public record Row(double[] accuracy, long updates, double[] stability, double[] evidence) {}

  /** The λ of the tables' columns. */
  public static final double[] LAMBDAS = {0.1, 1, 10, 100};

  /** The rows by variant. */
  public static final Map<Variant, Row> ROWS = Map.of(
      Variant.DIRECT, new Row(new double[] {0.87686, 0.901570, 0.8674, 0.73031}, 7_458_976_000L,
          new double[] {2.209571, 1.476841, 1.194326, 1.165526},
          new double[] {-9_035.229, -24_338.234, -56_679.427, -128_928.671}),
      Variant.DIRECT_ONE_EPOCH, new Row(new double[] {0.81682, 0.81986, 0.83477, 0.78924},
          298_359_040L, new double[] {1.518516, 1.537249, 1.473905, 1.362817},
          new double[] {-32_788.838, -51_832.864, -186_124.637, -696_240.551}),
      Variant.LOW_RANK, new Row(new double[] {0.87719, 0.87666, 0.87466, 0.83124},
          4_165_376_600L, new double[] {1.208003, 1.203938, 1.177115, 1.125796},
          new double[] {-24_566.315, -30_949.930, -56_720.932, -166_657.021}),
      Variant.LOW_RANK_FINE_TUNED, new Row(new double[] {0.90262, 0.90167, 0.88876, 0.83902},
          4_239_966_360L, new double[] {1.20265, 1.201760, 1.186034, 1.156385},
          new double[] {-19_994.677, -27_220.746, -55_508.397, -132_758.414}),
      Variant.LINEAR, new Row(new double[] {0.900679, 0.90021, 0.89218, 0.53857},
          3_729_488_000L, new double[] {1.206345, 1.205434, 1.208482, 1.216405},
          new double[] {-24_603.767, -28_189.602, -58_147.425, -177_139.477}),
      Variant.LINEAR_FINE_TUNED, new Row(new double[] {0.90104, 0.91456, 0.89538, 0.80627},
          3_804_077_760L, new double[] {1.281112, 1.287463, 1.255834, 1.289508},
          new double[] {-20_776.473, -26_262.996, -57_948.826, -134_340.962}));

  private PaperTables() {}

  /** The column of λ in the tables, or −1 when the paper has none. */
  public static int column(double lambda) {
    for (int k = 0; k < LAMBDAS.length; k++) {
      if (Math.abs(lambda - LAMBDAS[k]) <= 1e-9 * LAMBDAS[k]) {
        return k;
      }
    }
    return -1;
  }
}
