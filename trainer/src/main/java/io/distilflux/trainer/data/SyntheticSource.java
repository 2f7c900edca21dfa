package io.distilflux.trainer.data;

/**
 * The synthetic data of docs/method.md §5, drawn from the run's seed or, with a data seed, the
 * reference notebook's data set shared by every seed.
 *
 * @param sizes split sizes and whether validation is the test set
 * @param dataSeed the notebook's data seed, or null to draw from {@code seed}
 * @param seed the run's seed
 */
public record SyntheticSource(SyntheticData.Config sizes, Long dataSeed, long seed)
    implements DatasetSource {

  @Override
  public Loaded load() {
    SyntheticData.Generated generated = dataSeed != null
        ? SyntheticData.notebook(sizes, dataSeed)
        : SyntheticData.generate(sizes, seed);
    return new Loaded(generated.data(), generated.teacherViewOfTest());
  }
}
