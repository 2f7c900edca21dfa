package io.distilflux.trainer.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.model.StudentArchitectures;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class StudentComputationTest {

  private static final StudentArchitectures STUDENTS = StudentArchitectures.withDefaults();
  private static final long[] IMAGE = {3, 32, 32};
  private static final int BATCH = 6;

  @Test
  void cifarVeryTinyGetsTheNativePathAndLogregTheDl4jPath() {
    assertEquals("native-ops", new DistillationTrainer(cifarVeryTiny(), OptimizerKind.SGD, 0.1,
        false).computationPath());
    MultiLayerNetwork logreg =
        STUDENTS.create(StudentArchitectures.LOGREG, new long[] {3}, 2, 1, DataType.FLOAT);
    assertEquals("dl4j-layers",
        new DistillationTrainer(logreg, OptimizerKind.SGD, 0.1, false).computationPath());
  }

  @ParameterizedTest
  @EnumSource(OptimizerKind.class)
  void nativeAndDl4jPathsTakeTheSameStepsAndHyperGradients(OptimizerKind kind) {
    DistillationTrainer dl4j = new DistillationTrainer(
        cifarVeryTiny(), kind, 0.01, false, Dl4jStudentComputation::new);
    DistillationTrainer fast = new DistillationTrainer(
        cifarVeryTiny(), kind, 0.01, false, net -> new NativeStudentComputation(net, 2));
    Nd4j.getRandom().setSeed(17);
    Unconstrained b = new Unconstrained(0.3, -0.2, 0.5);
    double largestSeen = 0;
    for (int step = 0; step < 3; step++) {
      Batch batch = new Batch(Nd4j.randn(DataType.FLOAT, BATCH, 3, 32, 32), oneHot(BATCH, step),
          Nd4j.randn(DataType.FLOAT, BATCH, 10).muli(2));
      Split validation = new Split(Nd4j.randn(DataType.FLOAT, BATCH, 3, 32, 32),
          oneHot(BATCH, step + 1));

      StepOutcome expectedPlain = dl4j.step(batch, b);
      StepOutcome actualPlain = fast.step(batch, b);
      assertEquals(expectedPlain.trainLoss(), actualPlain.trainLoss(), 1e-4, "plain loss");
      assertClose("parameters after plain step " + step, dl4j.student().params(),
          fast.student().params(), 1e-3);

      // the hypergradient's central difference in float32 amplifies the rounding-level
      // difference the previous steps left between the two weight vectors; compare from equal w
      fast.student().params().assign(dl4j.student().params());
      StepOutcome expected = dl4j.stepWithHyperGradient(batch, validation, b);
      StepOutcome actual = fast.stepWithHyperGradient(batch, validation, b);
      assertEquals(expected.trainLoss(), actual.trainLoss(), 1e-4, "hyper step loss");
      HyperGradientResult e = expected.hyperGradient().orElseThrow();
      HyperGradientResult a = actual.hyperGradient().orElseThrow();
      assertEquals(e.validationLoss(), a.validationLoss(), 1e-4, "validation loss");
      // a central difference in float32 amplifies rounding differences between the two paths
      double[] ev = {e.gradient().b1(), e.gradient().b2(), e.gradient().b3()};
      double[] av = {a.gradient().b1(), a.gradient().b2(), a.gradient().b3()};
      double scale = Math.max(Math.max(Math.abs(ev[0]), Math.abs(ev[1])), Math.abs(ev[2]));
      // Adam's exact derivative is ~1/|g| where g is tiny, so its first hypergradients are in
      // the thousands and a later one can be a cancellation of terms that large: the float32
      // rounding of such a component scales with the largest hypergradient seen, not its own
      largestSeen = Math.max(largestSeen, scale);
      for (int i = 0; i < 3; i++) {
        assertEquals(ev[i], av[i], 0.05 * Math.abs(ev[i]) + 0.01 * scale + 1e-5 * largestSeen,
            "hypergradient b" + (i + 1) + " at step " + step);
      }
      assertClose("parameters after hypergradient step " + step, dl4j.student().params(),
          fast.student().params(), 1e-3);
    }
  }

  private static MultiLayerNetwork cifarVeryTiny() {
    MultiLayerNetwork network = STUDENTS.create(
        StudentArchitectures.CIFAR_VERY_TINY, IMAGE, 10, 42, DataType.FLOAT);
    return network;
  }

  private static INDArray oneHot(int size, int shift) {
    INDArray labels = Nd4j.zeros(DataType.FLOAT, size, 10);
    for (int i = 0; i < size; i++) {
      labels.putScalar(i, (3 * i + shift) % 10, 1.0);
    }
    return labels;
  }

  /** |e − a| ≤ relative·|e| + 1e-5·max|e| element-wise. */
  private static void assertClose(String what, INDArray expected, INDArray actual,
      double relative) {
    double floor = 1e-5 * Math.max(1e-3, expected.amaxNumber().doubleValue());
    INDArray allowed = Transforms.abs(expected).muli(relative).addi(floor);
    INDArray excess = Transforms.abs(expected.sub(actual)).subi(allowed);
    long worst = excess.argMax().getLong(0);
    assertTrue(excess.maxNumber().doubleValue() <= 0, what + ": element " + worst + " expected "
        + expected.getDouble(worst) + " but was " + actual.getDouble(worst));
  }
}
