package io.distilflux.trainer.speed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import io.distilflux.trainer.model.StudentArchitectures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class NativeOpsStepTest {

  private static final int BATCH = 6;

  @ParameterizedTest
  @EnumSource(NativeOpsStep.ConvEngine.class)
  void logitsAndFlatGradientMatchTheDl4jNetwork(NativeOpsStep.ConvEngine engine) {
    Nd4j.getRandom().setSeed(3);
    INDArray x = Nd4j.randn(DataType.FLOAT, BATCH, 3, 32, 32);
    INDArray eps = Nd4j.randn(DataType.FLOAT, BATCH, 10);
    var reference = new Dl4jPlainStep(VeryTinyCifarNetwork.build(StepSettings.outOfTheBox(), 11), CNN2DFormat.NCHW);
    // Non-trivial BN parameters and running statistics so that every gradient term matters.
    reference.network().params().addi(Nd4j.rand(DataType.FLOAT, reference.network().params().shape()).muli(0.05));
    var fast = new NativeOpsStep(reference.network(), engine, 1, 1);

    INDArray expectedLogits = reference.logits(x).dup();
    INDArray expectedGradient = reference.step(x, eps).dup();
    INDArray logits = fast.logits(x);
    INDArray gradient = fast.step(x, eps);

    assertArrayEquals(expectedLogits.shape(), logits.shape());
    assertClose("logits", expectedLogits, logits);
    assertEquals(expectedGradient.length(), gradient.length());
    assertClose("flat gradient", expectedGradient.reshape(-1), gradient.reshape(-1));
  }

  @Test
  void planarEngineHandlesNegativeGammaAndGivesTheSameGradientOnTwoThreads() {
    Nd4j.getRandom().setSeed(8);
    INDArray x = Nd4j.randn(DataType.FLOAT, BATCH + 1, 3, 32, 32);
    INDArray eps = Nd4j.randn(DataType.FLOAT, BATCH + 1, 10);
    var reference = new Dl4jPlainStep(VeryTinyCifarNetwork.build(StepSettings.outOfTheBox(), 12), CNN2DFormat.NCHW);
    reference.network().params().addi(Nd4j.rand(DataType.FLOAT, reference.network().params().shape()).muli(0.05));
    // a negative γ flips which window element is the max after batch-norm (the min-pool branch)
    reference.network().getLayer(1).getParam("gamma").negi();
    reference.network().getLayer(5).getParam("gamma").getScalar(0).negi();
    var oneThread = new NativeOpsStep(reference.network(), NativeOpsStep.ConvEngine.PLANAR_JAVA, 1, 1);
    var twoThreads = new NativeOpsStep(reference.network(), NativeOpsStep.ConvEngine.PLANAR_JAVA, 2, 2);

    INDArray expectedGradient = reference.step(x, eps).dup();
    INDArray gradient = oneThread.step(x, eps).dup();
    INDArray gradientTwoThreads = twoThreads.step(x, eps).dup();

    assertClose("flat gradient", expectedGradient.reshape(-1), gradient.reshape(-1));
    assertClose("two threads", gradient.reshape(-1), gradientTwoThreads.reshape(-1));
  }

  @Test
  void theThreadCountNeverChangesTheNumbersOnlyThePartCountDoes() {
    Nd4j.getRandom().setSeed(9);
    INDArray x = Nd4j.randn(DataType.FLOAT, 2 * BATCH + 1, 3, 32, 32);
    INDArray eps = Nd4j.randn(DataType.FLOAT, 2 * BATCH + 1, 10);
    var net = VeryTinyCifarNetwork.build(StepSettings.outOfTheBox(), 13);
    net.params().addi(Nd4j.rand(DataType.FLOAT, net.params().shape()).muli(0.05));
    var sequential = new NativeOpsStep(net, NativeOpsStep.ConvEngine.PLANAR_JAVA, 3, 1);
    var parallel = new NativeOpsStep(net, NativeOpsStep.ConvEngine.PLANAR_JAVA, 3, 2);

    INDArray logits = sequential.logits(x).dup();
    INDArray gradient = sequential.step(x, eps).dup();
    assertEquals(logits, parallel.logits(x).dup(), "logits, bit for bit");
    assertEquals(gradient, parallel.step(x, eps).dup(), "flat gradient, bit for bit");
    // a batch smaller than the part count runs on fewer parts
    INDArray one = Nd4j.randn(DataType.FLOAT, 1, 3, 32, 32);
    assertEquals(sequential.logits(one).dup(), parallel.logits(one).dup());
  }

  @Test
  void tangentIsTheJacobianVectorProductOfTheTrainingModeLogits() {
    Nd4j.getRandom().setSeed(21);
    INDArray x = Nd4j.randn(DataType.FLOAT, BATCH + 1, 3, 32, 32);
    var net = VeryTinyCifarNetwork.build(StepSettings.outOfTheBox(), 14);
    net.params().addi(Nd4j.rand(DataType.FLOAT, net.params().shape()).muli(0.05));
    // a negative γ takes the min-pool branch of the argmax
    net.getLayer(1).getParam("gamma").getScalar(2).negi();
    net.getLayer(5).getParam("gamma").getScalar(0).negi();
    INDArray u = Nd4j.randn(DataType.FLOAT, net.params().shape());
    var oneThread = new NativeOpsStep(net, NativeOpsStep.ConvEngine.PLANAR_JAVA, 2, 1);
    var twoThreads = new NativeOpsStep(net, NativeOpsStep.ConvEngine.PLANAR_JAVA, 2, 2);

    oneThread.logits(x);
    INDArray tangent = oneThread.tangent(u).dup();
    twoThreads.logits(x);

    // the truth: a central difference of DL4J's training-mode logits in double precision
    var doubles = net.convertDataType(DataType.DOUBLE);
    INDArray w = doubles.params().dup();
    INDArray ud = u.castTo(DataType.DOUBLE);
    double epsilon = 1e-6 * (1 + w.norm2Number().doubleValue()) / ud.norm2Number().doubleValue();
    INDArray xd = x.castTo(DataType.DOUBLE);
    doubles.params().assign(w.add(ud.mul(epsilon)));
    INDArray plus = doubles.output(xd, true).dup();
    doubles.params().assign(w.sub(ud.mul(epsilon)));
    INDArray minus = doubles.output(xd, true).dup();
    INDArray expected = plus.subi(minus).divi(2 * epsilon).castTo(DataType.FLOAT);

    assertClose("J·u", expected, tangent);
    assertEquals(tangent, twoThreads.tangent(u).dup(), "two threads, bit for bit");
  }

  @Test
  void inferenceLogitsMatchDl4jOutputOnRunningStatistics() {
    Nd4j.getRandom().setSeed(22);
    INDArray x = Nd4j.randn(DataType.FLOAT, BATCH + 1, 3, 32, 32);
    var net = VeryTinyCifarNetwork.build(StepSettings.outOfTheBox(), 15);
    // non-trivial running means and log10 σ, and a negative γ (the min-pool branch)
    net.params().addi(Nd4j.rand(DataType.FLOAT, net.params().shape()).muli(0.3));
    net.getLayer(1).getParam("gamma").getScalar(1).negi();
    var fast = new NativeOpsStep(net, NativeOpsStep.ConvEngine.PLANAR_JAVA, 2, 2);

    INDArray training = fast.logits(x).dup();
    assertClose("inference logits", net.output(x, false), fast.inferenceLogits(x).dup());
    assertTrue(Transforms.abs(training.sub(net.output(x, false))).maxNumber().doubleValue() > 1e-2,
        "running and batch statistics must differ for this test to mean anything");
    assertThrows(IllegalStateException.class, () -> fast.backward(Nd4j.zeros(DataType.FLOAT,
        BATCH + 1, 10)), "an inference forward is not one a backward can follow");
  }

  @Test
  void planarEngineNeedsFloatParameters() {
    var net = VeryTinyCifarNetwork.build(StepSettings.outOfTheBox(), 2);
    assertEquals(NativeOpsStep.ConvEngine.PLANAR_JAVA, NativeOpsStep.defaultEngine(net));
    var doubles = StudentArchitectures.withDefaults().create(StudentArchitectures.CIFAR_VERY_TINY,
        new long[] {3, 32, 32}, 10, 1, DataType.DOUBLE);
    assertEquals(NativeOpsStep.ConvEngine.LIBND4J_NHWC, NativeOpsStep.defaultEngine(doubles));
    assertThrows(IllegalArgumentException.class,
        () -> new NativeOpsStep(doubles, NativeOpsStep.ConvEngine.PLANAR_JAVA, 1, 1));
  }

  @Test
  void theRealCifarVeryTinyStudentIsSupportedAndOtherStudentsAreNot() {
    var students = StudentArchitectures.withDefaults();
    assertTrue(NativeOpsStep.supports(students.create(StudentArchitectures.CIFAR_VERY_TINY,
        new long[] {3, 32, 32}, 10, 1, DataType.FLOAT)));
    var mlp = students.create(StudentArchitectures.MNIST_MLP_SMALL, new long[] {784}, 10, 1,
        DataType.FLOAT);
    assertTrue(NativeOpsStep.unsupportedReason(mlp).orElseThrow().contains("layers"));
    assertThrows(IllegalArgumentException.class, () -> new NativeOpsStep(mlp));
  }

  @Test
  void buffersFollowTheInputShapeAndBackwardAndTangentNeedAForward() {
    Nd4j.getRandom().setSeed(4);
    var net = VeryTinyCifarNetwork.build(StepSettings.outOfTheBox(), 2);
    var fast = new NativeOpsStep(net);
    assertThrows(IllegalStateException.class,
        () -> fast.backward(Nd4j.zeros(DataType.FLOAT, 2, 10)));
    assertThrows(IllegalStateException.class, () -> fast.tangent(net.params()));
    var libnd4j = new NativeOpsStep(net, NativeOpsStep.ConvEngine.LIBND4J_NCHW, 1, 1);
    assertThrows(UnsupportedOperationException.class, () -> libnd4j.tangent(net.params()));
    INDArray small = Nd4j.randn(DataType.FLOAT, 2, 3, 32, 32);
    INDArray large = Nd4j.randn(DataType.FLOAT, 5, 3, 32, 32);
    INDArray smallLogits = fast.logits(small).dup();
    fast.logits(large);
    assertClose("logits of a batch seen again", smallLogits, fast.logits(small).dup());
    assertThrows(IllegalArgumentException.class,
        () -> fast.backward(Nd4j.zeros(DataType.FLOAT, 5, 10)));
  }

  @Test
  void workspaceSettingComputesTheSameLogitsAsOutOfTheBox() {
    Nd4j.getRandom().setSeed(5);
    INDArray x = Nd4j.randn(DataType.FLOAT, BATCH, 3, 32, 32);
    var plain = new Dl4jPlainStep(VeryTinyCifarNetwork.build(StepSettings.outOfTheBox(), 11), CNN2DFormat.NCHW);
    var ws = new StepSettings(CNN2DFormat.NCHW, WorkspaceMode.ENABLED, CacheMode.NONE);
    var withWorkspaces = new Dl4jPlainStep(VeryTinyCifarNetwork.build(ws, 11), CNN2DFormat.NCHW);
    assertClose("logits", plain.logits(x).dup(), withWorkspaces.logits(x).dup());
  }

  /** Element-wise |e - a| <= 1e-3 |e| + 1e-5 max|e|: float tolerance, not hiding small entries. */
  private static void assertClose(String what, INDArray expected, INDArray actual) {
    double floor = 1e-5 * Math.max(1e-3, expected.amaxNumber().doubleValue());
    INDArray allowed = Transforms.abs(expected).muli(1e-3).addi(floor);
    INDArray excess = Transforms.abs(expected.sub(actual)).subi(allowed);
    long worst = excess.argMax().getLong(0);
    assertTrue(excess.maxNumber().doubleValue() <= 0, what + ": element " + worst + " expected "
        + expected.getDouble(worst) + " but was " + actual.getDouble(worst));
  }
}
