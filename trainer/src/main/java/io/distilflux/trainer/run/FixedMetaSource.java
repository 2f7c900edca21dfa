package io.distilflux.trainer.run;

import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Unconstrained;
import java.time.Duration;
import java.util.SplittableRandom;

/** Meta-parameters that stay constant for the whole run. */
public final class FixedMetaSource implements MetaSource {

  private final MetaPoint point;

  private FixedMetaSource(MetaPoint point) {
    this.point = point;
  }

  /** No distillation: λ = (1, 0, ·), the plain cross-entropy (T is irrelevant, kept at 1). */
  public static FixedMetaSource noDistillation() {
    MetaValues values = new MetaValues(1.0, 0.0, 1.0);
    return new FixedMetaSource(
        new MetaPoint(Unconstrained.fromValues(values), values, MetaParamSource.INITIAL));
  }

  /** Distillation with the given fixed point b. */
  public static FixedMetaSource fixed(Unconstrained b) {
    return new FixedMetaSource(MetaPoint.of(b, MetaParamSource.INITIAL));
  }

  /**
   * λ drawn once and never optimised, from the reference's starting distribution
   * (docs/method.md §3): b1, b2 ~ U(−1, 1), b3 ~ U(−2, 0).
   */
  public static FixedMetaSource randomOnce(long seed) {
    return fixed(randomStart(seed));
  }

  /** The reference's random starting point for a seed: b1, b2 ~ U(−1, 1), b3 ~ U(−2, 0). */
  public static Unconstrained randomStart(long seed) {
    SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
    return new Unconstrained(
        random.nextDouble(-1, 1), random.nextDouble(-1, 1), random.nextDouble(-2, 0));
  }

  /** The same source with the run's extra meta-parameters fixed at these coordinates. */
  public FixedMetaSource withExtra(java.util.Map<String, Double> coordinates) {
    return new FixedMetaSource(point.withExtra(coordinates));
  }

  @Override
  public MetaPoint pointFor(long step, Duration timeout) {
    return point;
  }

  @Override
  public MetaPoint ready(long step) {
    return point;
  }
}
