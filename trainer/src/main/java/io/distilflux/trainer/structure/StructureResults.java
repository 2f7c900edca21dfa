package io.distilflux.trainer.structure;

import java.util.Arrays;
import java.util.List;

/** What {@code experiment structure} measured; each part is null when its protocol was skipped. */
public record StructureResults(Pruned pruned, Frozen frozen, Searched searched,
    Enumerated enumerated, PriorSweep prior) {

  /**
   * One search with variational weights at one c_prior (003's run (i)).
   *
   * @param weight c_prior
   * @param logAlpha the structure logits at the end, flat (width blocks, then depth blocks)
   * @param choice the argmax block per edge
   * @param student the chosen student's layer sizes, such as "784-50-10"
   * @param studentParameters its parameter count
   * @param expectedWidth the hidden width expected under q = softmax(log α) at the end
   * @param complexity C_param at the end: KL_struct = Σ q·KL(block), the precisions at their
   *     closed-form optimum
   * @param studentKl the KL of the chosen student's two blocks alone
   * @param meanSigma the mean σ = e^ρ over the supernet's weights at the end
   * @param supernetAccuracy the supernet's test accuracy at the means and the noise-free
   *     structure weights of the last temperature
   * @param cutAccuracy the chosen student's test accuracy at the means as cut out
   * @param seconds wall time of the search
   */
  public record PriorRun(double weight, double[] logAlpha, int[] choice, String student,
      int studentParameters, double expectedWidth, double complexity, double studentKl,
      double meanSigma, double supernetAccuracy, double cutAccuracy, double seconds) {}

  /**
   * 003's run (i): one variational search per c_prior.
   *
   * @param epochs epochs of each search
   * @param regularisation c_reg of every search
   * @param runs the searches in the order of the protocol's c_prior values
   * @param seconds wall time of them all
   */
  public record PriorSweep(int epochs, double regularisation, List<PriorRun> runs,
      double seconds) {

    /** The runs by increasing c_prior. */
    public List<PriorRun> byWeight() {
      return runs.stream().sorted(java.util.Comparator.comparingDouble(PriorRun::weight))
          .toList();
    }
  }

  /**
   * One search of an enumeration.
   *
   * @param run its place in the sequence, from 1
   * @param logAlpha the structure logits at the end, flat (width blocks, then depth blocks)
   * @param choice the argmax block per edge
   * @param student the chosen student's layer sizes, such as "784-50-10"
   * @param studentParameters its parameter count
   * @param klToFound KL(q_Γ‖p′) at the end to each earlier search's distribution p′, in order
   *     (unclipped; empty for the first)
   * @param supernetAccuracy the supernet's test accuracy at the noise-free structure weights of
   *     the last temperature
   * @param cutAccuracy the chosen student's test accuracy as cut out of the supernet
   * @param seconds wall time of the search
   */
  public record Enumeration(int run, double[] logAlpha, int[] choice, String student,
      int studentParameters, double[] klToFound, double supernetAccuracy, double cutAccuracy,
      double seconds) {

    /** Whether no earlier search of the sequence chose this structure. */
    public boolean isNew(List<Enumeration> earlier) {
      return earlier.stream().noneMatch(e -> Arrays.equals(e.choice(), choice));
    }
  }

  /**
   * The enumeration of protocol 003.
   *
   * @param images the training images each search's weights trained on
   * @param structures how many discrete structures the supernet holds
   * @param runs the searches in order
   * @param seconds wall time of the whole enumeration
   */
  public record Enumerated(int images, int structures, List<Enumeration> runs, double seconds) {

    /** How many distinct structures count as an enumeration: N − 1 of N, at most all. */
    public long expected() {
      return Math.min(runs.size() - 1L, structures);
    }

    /** How many different structures the searches chose. */
    public long distinct() {
      return runs.stream().map(e -> Arrays.stream(e.choice()).boxed().toList()).distinct()
          .count();
    }
  }

  /**
   * One supernet search and its discrete student (protocol 003).
   *
   * @param schedule "annealed" or "fixed"
   * @param fromTemperature c at the first step
   * @param toTemperature c at the last step
   * @param logAlpha the structure logits at the end, flat (width blocks, then depth blocks)
   * @param choice the argmax block per edge
   * @param student the chosen student's layer sizes, such as "784-50-10"
   * @param supernetParameters the supernet's parameter count
   * @param studentParameters the student's parameter count
   * @param supernetAccuracy the supernet's test accuracy at the noise-free structure weights
   *     softmax(log α / c) of the last temperature
   * @param vertexDistance the mean over edges and 1 000 noise samples of 1 − max_h γ_h at the
   *     last temperature: 0 when every sample is a vertex of the simplex
   * @param cutAccuracy the student's test accuracy as cut out, before distillation
   * @param distilledAccuracy its test accuracy after distillation from the supernet
   * @param searchSeconds wall time of the search
   * @param distilSeconds wall time of the distillation
   * @param event the published {@code StructureChosen}, as JSON
   */
  public record Search(String schedule, double fromTemperature, double toTemperature,
      double[] logAlpha, int[] choice, String student, int supernetParameters,
      int studentParameters, double supernetAccuracy, double vertexDistance, double cutAccuracy,
      double distilledAccuracy, double searchSeconds, double distilSeconds, String event) {}

  /**
   * Protocol 003.
   *
   * @param searches the annealed and the fixed-temperature searches
   * @param seconds wall time of the whole protocol
   */
  public record Searched(List<Search> searches, double seconds) {}

  /**
   * One pruning curve.
   *
   * @param rule the estimator's name
   * @param scope "all layers" (per layer, weights only) or "output layer"
   * @param accuracy test accuracy at each of the protocol's fractions (the mean over seeds for the
   *     random rule)
   * @param spread the standard deviation over seeds (zero for deterministic rules)
   */
  public record Curve(String rule, String scope, double[] accuracy, double[] spread) {}

  /**
   * A smaller dense student cut out of the trained network.
   *
   * @param rule how the units were chosen
   * @param units hidden units kept
   * @param parameters its parameter count
   * @param accuracy test accuracy as cut, without training
   * @param tunedAccuracy test accuracy after one epoch of training (NaN when not trained)
   * @param epochSeconds wall time of that epoch (NaN when not trained)
   */
  public record Student(String rule, int units, int parameters, double accuracy,
      double tunedAccuracy, double epochSeconds) {}

  /**
   * Protocol 002-A.
   *
   * @param fractions the pruned fractions
   * @param accuracy the unpruned network's test accuracy
   * @param parameters its parameter count
   * @param epochSeconds wall time per training epoch of the full network
   * @param negativeSaliencies parameters whose Hutchinson OBD saliency came out negative
   * @param curves the pruning curves
   * @param students the smaller dense students
   * @param seconds wall time of the whole protocol
   */
  public record Pruned(double[] fractions, double accuracy, int parameters, double epochSeconds,
      int negativeSaliencies, List<Curve> curves, List<Student> students, double seconds) {}

  /**
   * One freezing run.
   *
   * @param order which parameters were frozen first
   * @param fraction the share frozen
   * @param accuracy mean test accuracy over the seeds after the masked epochs
   * @param spread its standard deviation over the seeds
   * @param updates Σ over the masked steps of the scalars that moved (one seed)
   */
  public record Freeze(Freezing.Order order, double fraction, double accuracy, double spread,
      long updates) {}

  /**
   * Protocol 002-B.
   *
   * @param seeds how many seeds the figures are averaged over
   * @param warmupAccuracy mean test accuracy after t_0
   * @param unfrozenAccuracy mean test accuracy after the same further epochs with nothing frozen
   * @param unfrozenSpread its standard deviation over the seeds
   * @param unfrozenUpdates Σ of the scalars that moved over those epochs (one seed)
   * @param parameters the network's parameter count
   * @param zeroVariance parameters whose gradient noise had exactly zero variance at t_0 (the
   *     last seed)
   * @param runs the freezing runs
   * @param seconds wall time of the whole protocol
   */
  public record Frozen(int seeds, double warmupAccuracy, double unfrozenAccuracy,
      double unfrozenSpread, long unfrozenUpdates,
      int parameters, int zeroVariance, List<Freeze> runs, double seconds) {}
}
