package io.distilflux.trainer.structure;

/**
 * A rule that decides which parameters go first when a network is pruned (docs/structure.md §1):
 * it orders candidate parameters, given by their index in the flat parameter layout, from the
 * one removed first to the one removed last. Pruning a fraction f of the candidates sets the
 * first round(f·n) of the order to zero.
 */
public interface PruningEstimator {

  /**
   * The candidates in removal order, the first removed first.
   *
   * @param candidates distinct indices into the flat parameter vector
   * @return a permutation of {@code candidates}
   */
  int[] removalOrder(int[] candidates);
}
