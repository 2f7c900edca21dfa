package io.distilflux.trainer.structure;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.StructureChosen;
import io.distilflux.trainer.complexity.Examples;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * A training that starts as a supernet search and ends as a discrete student
 * (docs/structure.md §7): the search runs its scheduled epochs, then on to the next mini-epoch
 * boundary; there the structure is decided (the argmax per edge), a {@link StructureChosen} is
 * published, and from the next step on the trainer trains the discrete student, cut out of the
 * supernet, by distillation from the supernet.
 */
public final class StructureSwitch {

  /**
   * What the training did.
   *
   * @param chosen the published event
   * @param search the search up to the switch
   * @param student the discrete student
   * @param studentWeights its weights after distillation
   * @param distillation the distillation after the switch
   */
  public record Outcome(StructureChosen chosen, SupernetSearch.Outcome search, Supernet student,
      double[] studentWeights, SupernetDistillation.Outcome distillation) {}

  private final Supernet net;
  private final SupernetSearch.Settings settings;
  private final int miniEpoch;
  private final String runId;
  private final Consumer<StructureChosen> publish;
  private long studentSteps;

  /**
   * @param net the supernet
   * @param settings the search's settings
   * @param miniEpoch E, steps per mini-epoch (at least 1): the switch waits for a multiple of E
   * @param runId the run the event belongs to
   * @param publish receives the event at the switch, before the student's first step
   */
  public StructureSwitch(Supernet net, SupernetSearch.Settings settings, int miniEpoch,
      String runId, Consumer<StructureChosen> publish) {
    if (miniEpoch < 1) {
      throw new IllegalArgumentException("a mini-epoch has at least one step, got " + miniEpoch);
    }
    if (runId == null || runId.isBlank()) {
      throw new IllegalArgumentException("a run id is needed");
    }
    this.net = net;
    this.settings = settings;
    this.miniEpoch = miniEpoch;
    this.runId = runId;
    this.publish = publish;
  }

  /** Steps the discrete student has trained so far (0 until the switch). */
  public long studentSteps() {
    return studentSteps;
  }

  /**
   * Searches on {@code train} and {@code validation}, switches, then distils the student for
   * {@code distilSteps} steps at λ1, λ2, T = {@code values} with the supernet at its noise-free
   * structure weights as the teacher.
   */
  public Outcome run(Examples train, Examples validation, long distilSteps, MetaValues values,
      double rate, long seed) {
    return run(train, validation, distilSteps, values, rate, seed, search -> { });
  }

  /** As the other, with {@code atSwitch} hearing the search's outcome before the event. */
  public Outcome run(Examples train, Examples validation, long distilSteps, MetaValues values,
      double rate, long seed, Consumer<SupernetSearch.Outcome> atSwitch) {
    SupernetSearch.Stepper stepper = new SupernetSearch(net, settings).start(train, validation);
    while (stepper.steps() < stepper.scheduledSteps() || stepper.steps() % miniEpoch != 0) {
      stepper.step();
    }
    // no per-epoch history: the switch need not fall on an epoch's end
    SupernetSearch.Outcome search = stepper.outcome(List.of());
    atSwitch.accept(search);
    int[] choice = search.choice();
    StructureChosen chosen = new StructureChosen(Event.CURRENT_SCHEMA_VERSION, runId,
        search.steps() - 1, Arrays.stream(net.hiddenSizes(choice)).boxed().toList(),
        Arrays.stream(search.logAlpha()).boxed().toList());
    publish.accept(chosen);
    Supernet student = net.discrete(choice);
    double[] w = net.discreteWeights(search.weights(), choice);
    double[] teacherGamma = SupernetLoss.gamma(net, search.logAlpha(),
        new double[net.structureSize()], search.temperature());
    SupernetDistillation.Outcome distilled = new SupernetDistillation(net, search.weights(),
        teacherGamma, values).trainSteps(student, w, train, distilSteps, settings.batch(), rate,
        seed, step -> studentSteps = step);
    return new Outcome(chosen, search, student, w, distilled);
  }
}
