package io.distilflux.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class SyntheticDataTest {

  @Test
  void sameSeedGivesIdenticalDataAndOtherSeedDoesNot() {
    DistillationData a = SyntheticData.generate(SyntheticData.Config.paper(), 42).data();
    DistillationData b = SyntheticData.generate(SyntheticData.Config.paper(), 42).data();
    DistillationData c = SyntheticData.generate(SyntheticData.Config.paper(), 43).data();
    assertEquals(a.teacherTrain().features(), b.teacherTrain().features());
    assertEquals(a.studentTrain().features(), b.studentTrain().features());
    assertEquals(a.test().labels(), b.test().labels());
    assertNotEquals(a.studentTrain().features(), c.studentTrain().features());
  }

  @Test
  void splitsHaveThePaperSizesAndFeatureColumns() {
    DistillationData data = SyntheticData.generate(SyntheticData.Config.paper(), 42).data();
    assertArrayEquals(new long[] {200, 3}, data.teacherTrain().features().shape());
    assertArrayEquals(new long[] {15, 3}, data.studentTrain().features().shape());
    assertArrayEquals(new long[] {15, 3}, data.teacherViewOfStudentTrain().shape());
    assertArrayEquals(new long[] {15, 3}, data.validation().features().shape());
    assertArrayEquals(new long[] {200, 3}, data.test().features().shape());
    assertArrayEquals(new long[] {200, 2}, data.test().labels().shape());
    assertEquals(2, data.classes());
  }

  @Test
  void featuresFollowTheDefinitionForEverySample() {
    SyntheticData.Generated generated = SyntheticData.generate(SyntheticData.Config.paper(), 7);
    INDArray student = generated.data().studentTrain().features();
    INDArray teacher = generated.data().teacherViewOfStudentTrain();
    for (int i = 0; i < student.size(0); i++) {
      double x1 = student.getDouble(i, 0);
      double x2 = student.getDouble(i, 1);
      assertEquals(x1, teacher.getDouble(i, 0));
      assertEquals(x2, teacher.getDouble(i, 1));
      double quadrant = Math.signum(x1) + Math.signum(x2) > 0.1 ? 1 : 0;
      assertEquals(quadrant, teacher.getDouble(i, 2));
      assertEquals((float) (x1 * x2), student.getFloat(i, 2), 1e-5);
    }
    INDArray testStudent = generated.data().test().features();
    INDArray testTeacher = generated.teacherViewOfTest().features();
    assertEquals(testStudent.getColumn(0), testTeacher.getColumn(0));
  }

  @Test
  void labelsAreOneHotAndMostlyFollowTheSignOfTheProduct() {
    DistillationData data =
        SyntheticData.generate(new SyntheticData.Config(200, 15, 15, 2000, false), 1).data();
    INDArray x = data.test().features();
    INDArray y = data.test().labels();
    assertEquals(2000.0, y.sumNumber().doubleValue());
    int agree = 0;
    for (int i = 0; i < 2000; i++) {
      int label = y.getDouble(i, 1) == 1.0 ? 1 : 0;
      if ((x.getDouble(i, 2) > 0 ? 1 : 0) == label) {
        agree++;
      }
    }
    // P(sign(x1·x2 + 0.5·ε) = sign(x1·x2)) ≈ 0.769 (independent Monte Carlo, 2·10^6 draws);
    // ±0.03 is three standard errors for 2 000 samples.
    assertEquals(0.769, agree / 2000.0, 0.03);
  }

  @Test
  void validationIsTestReusesTheTestSet() {
    DistillationData data =
        SyntheticData.generate(SyntheticData.Config.paper().withValidationIsTest(true), 42).data();
    assertSame(data.test(), data.validation());
  }

  @Test
  void nonPositiveSizeIsRejectedNamingTheField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new SyntheticData.Config(200, 0, 15, 200, false));
    assertEquals("synthetic studentTrain must be > 0, got 0", e.getMessage());
  }

  @Test
  void notebookDataOfSeed42AreTheReferenceNotebooksArrays() {
    SyntheticData.Generated generated = SyntheticData.notebook(
        SyntheticData.Config.paper().withValidationIsTest(true), 42);
    DistillationData data = generated.data();
    // numpy: x[0] = (0.4967…, −0.1382…), x[200] (first student row), x[230] (first test row)
    assertArrayEquals(new float[] {0.4967141530112327f, -0.13826430117118466f, 0f},
        data.teacherTrain().features().getRow(0).toFloatVector());
    assertArrayEquals(new float[] {-1.594427658794367f, -0.5993750229537729f,
        (float) 0.9556601145880042}, data.studentTrain().features().getRow(0).toFloatVector());
    assertArrayEquals(new float[] {1.964725136756897f, 0.0352635532617569f, 0.06928318738937378f},
        data.test().features().getRow(0).toFloatVector());
    int[] trainLabels = {1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0};
    for (int i = 0; i < trainLabels.length; i++) {
      assertEquals(trainLabels[i], data.studentTrain().labels().getDouble(i, 1), "label " + i);
    }
    assertEquals(101, data.test().labels().getColumn(1).sumNumber().intValue());
    assertSame(data.test(), data.validation());
  }

  @Test
  void notebookRestartsDrawTheirStartAfterTheData() {
    SyntheticData.Config config = SyntheticData.Config.paper().withValidationIsTest(true);
    // numpy after the data: uniform(-1, 1) (distillation), uniform(-1, 1) (cross-entropy),
    // uniform(-2, 0) (temperature) per restart; b1 is the cross-entropy's coordinate
    assertArrayEquals(new double[] {0.031358855392995544, 0.2011886667212346,
        -0.1612160535711653}, SyntheticData.notebookStart(config, 42, 0));
    assertArrayEquals(new double[] {0.9843160296466253, -0.006073034188339488,
        -0.2971500845098085}, SyntheticData.notebookStart(config, 42, 1));
  }

  @Test
  void notebookWithSeparateValidationUsesTheRowsBetweenTrainAndTest() {
    DistillationData data = SyntheticData.notebook(SyntheticData.Config.paper(), 42).data();
    int[] validationLabels = {1, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1};
    for (int i = 0; i < validationLabels.length; i++) {
      assertEquals(validationLabels[i], data.validation().labels().getDouble(i, 1), "label " + i);
    }
    assertEquals(101, data.test().labels().getColumn(1).sumNumber().intValue());
  }
}
