package io.distilflux.trainer.structure;

import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.trainer.complexity.Adam;
import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.distill.DistillationLoss;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * Distils a supernet into the discrete student chosen from it (docs/structure.md §7): the
 * student starts from the supernet's weights of its blocks and trains by Adam on the
 * distillation loss of docs/method.md §1, λ1·CE(y, z) + λ2·T²·D(z, f; T), where the teacher's
 * logits f are the supernet's at fixed structure weights.
 */
public final class SupernetDistillation {

  /**
   * What the distillation did.
   *
   * @param steps optimizer steps
   * @param seconds wall time
   */
  public record Outcome(long steps, double seconds) {}

  private final Supernet teacher;
  private final double[] teacherWeights;
  private final double[] teacherGamma;
  private final MetaValues values;

  /**
   * @param teacher the supernet
   * @param teacherWeights its weights
   * @param teacherGamma its structure weights while teaching
   * @param values λ1, λ2 and T of the distillation loss
   */
  public SupernetDistillation(Supernet teacher, double[] teacherWeights, double[] teacherGamma,
      MetaValues values) {
    this.teacher = teacher;
    this.teacherWeights = teacherWeights;
    this.teacherGamma = teacherGamma;
    this.values = values;
  }

  /**
   * {@code epochs} passes over {@code train}, updating the student's weights {@code w} in place.
   */
  public Outcome train(Supernet student, double[] w, Examples train, int epochs, int batch,
      double rate, long seed) {
    int b = Math.min(batch, train.count());
    return trainSteps(student, w, train, (long) epochs * ((train.count() + b - 1) / b), batch,
        rate, seed, step -> { });
  }

  /**
   * {@code steps} minibatches, passing over {@code train} in a fresh order each time it is
   * exhausted, updating the student's weights {@code w} in place.
   */
  public Outcome trainSteps(Supernet student, double[] w, Examples train, long steps, int batch,
      double rate, long seed) {
    return trainSteps(student, w, train, steps, batch, rate, seed, step -> { });
  }

  /** As the other, with {@code done} hearing the count of steps taken after each. */
  public Outcome trainSteps(Supernet student, double[] w, Examples train, long steps, int batch,
      double rate, long seed, LongConsumer done) {
    long start = System.nanoTime();
    int b = Math.min(batch, train.count());
    Stepper stepper = stepper(student, w, b, rate);
    int[] order = new int[train.count()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    SplittableRandom random = new SplittableRandom(seed);
    int from = train.count();
    for (long step = 0; step < steps; step++) {
      if (from >= train.count()) {
        RandomPruning.shuffle(order, random);
        from = 0;
      }
      int rows = Math.min(b, train.count() - from);
      stepper.step(train, order, from, rows);
      from += rows;
      done.accept(step + 1);
    }
    return new Outcome(steps, (System.nanoTime() - start) / 1e9);
  }

  /**
   * A distillation one batch at a time, for a caller that draws the batches itself, updating the
   * student's weights {@code w} in place by Adam of step size {@code rate}.
   *
   * @param capacity the largest batch
   */
  public Stepper stepper(Supernet student, double[] w, int capacity, double rate) {
    if (student.inputWidth() != teacher.inputWidth() || student.classes() != teacher.classes()
        || student.structureSize() != Supernet.EDGES) {
      throw new IllegalArgumentException("the student must be a discrete net of the teacher's "
          + "input and classes");
    }
    return new Stepper(student, w, capacity, rate);
  }

  /** The distillation's state between batches: buffers and the student's Adam moments. */
  public final class Stepper {
    private final Supernet student;
    private final double[] w;
    private final Supernet.Buffers own;
    private final Supernet.Buffers taught;
    private final double[] gamma = {1, 1};
    private final double[] y;
    private final double[] gradW;
    private final double[] gradGamma = new double[Supernet.EDGES];
    private final DistillationLoss loss = new DistillationLoss(true);
    private final DistillationLoss.Rows out;
    private final Adam adam;

    private Stepper(Supernet student, double[] w, int capacity, double rate) {
      this.student = student;
      this.w = w;
      own = student.buffers(capacity);
      taught = teacher.buffers(capacity);
      y = new double[capacity * student.classes()];
      gradW = new double[w.length];
      out = new DistillationLoss.Rows(capacity, student.classes());
      adam = new Adam(w.length, rate, Double.POSITIVE_INFINITY);
    }

    /**
     * One step on examples {@code order[from … from + rows)}.
     *
     * @return the loss's terms before the step, valid until the next step
     */
    public DistillationLoss.Rows step(Examples train, int[] order, int from, int rows) {
      int classes = student.classes();
      train.copyRows(order, from, rows, own.input());
      System.arraycopy(own.input(), 0, taught.input(), 0, rows * student.inputWidth());
      double[] f = teacher.forward(teacherWeights, teacherGamma, taught, rows);
      double[] z = student.forward(w, gamma, own, rows);
      Arrays.fill(y, 0);
      for (int r = 0; r < rows; r++) {
        y[r * classes + train.labels()[order[from + r]]] = 1;
      }
      loss.evaluate(z, y, f, rows, values, out);
      student.backward(w, gamma, own, rows, out.outputGradient(), gradW, gradGamma);
      adam.step(w, gradW);
      return out;
    }
  }
}
