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
   * exhausted, updating the student's weights {@code w} in place; {@code done} hears the count
   * of steps taken after each.
   */
  public Outcome trainSteps(Supernet student, double[] w, Examples train, long steps, int batch,
      double rate, long seed, LongConsumer done) {
    if (student.inputWidth() != teacher.inputWidth() || student.classes() != teacher.classes()
        || student.structureSize() != Supernet.EDGES) {
      throw new IllegalArgumentException("the student must be a discrete net of the teacher's "
          + "input and classes");
    }
    long start = System.nanoTime();
    int b = Math.min(batch, train.count());
    int classes = student.classes();
    Supernet.Buffers own = student.buffers(b);
    Supernet.Buffers taught = teacher.buffers(b);
    double[] gamma = {1, 1};
    double[] y = new double[b * classes];
    double[] gradW = new double[w.length];
    double[] gradGamma = new double[Supernet.EDGES];
    DistillationLoss loss = new DistillationLoss(true);
    DistillationLoss.Rows out = new DistillationLoss.Rows(b, classes);
    Adam adam = new Adam(w.length, rate, Double.POSITIVE_INFINITY);
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
      from += rows;
      done.accept(step + 1);
    }
    return new Outcome(steps, (System.nanoTime() - start) / 1e9);
  }
}
