package io.distilflux.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvSourceTest {

  private static final String GOOD = "a,label,b\n1,0,2\n3,1,4\n5,2,6\n";

  @Test
  void readsFeaturesInColumnOrderAndOneHotLabelsOverTheTrainingClasses(@TempDir Path dir)
      throws IOException {
    Path train = Files.writeString(dir.resolve("train.csv"), GOOD);
    Path validation = Files.writeString(dir.resolve("val.csv"), "a,label,b\n7,1,8\n");
    Path test = Files.writeString(dir.resolve("test.csv"), "a, label ,b\n9,2,10\n\n");

    DistillationData data = new CsvSource(train, validation, test).load().data();

    assertEquals(3, data.classes());
    assertEquals(3, data.studentTrain().size());
    assertEquals(6f, data.studentTrain().features().getFloat(2, 1));
    assertEquals(1f, data.studentTrain().labels().getFloat(2, 2));
    assertEquals(1, data.validation().size());
    assertEquals(10f, data.test().features().getFloat(0, 1));
  }

  @Test
  void eachMalformedFileIsOneLineNamingTheFileRowAndColumn(@TempDir Path dir) throws IOException {
    assertProblem(dir, "a,label,b\n1,0,2\n3,x,4\n", "train.csv: row 3, column label: 'x' is not an integer class");
    assertProblem(dir, "a,label,b\n1,0,2\n3,1,four\n", "train.csv: row 3, column b: 'four' is not a number");
    assertProblem(dir, "a,label,b\n1,0,2\n3,1\n", "train.csv: row 3: 2 columns, the header has 3");
    assertProblem(dir, "a,label,b\n1,0,NaN\n3,1,2\n", "train.csv: row 2, column b: 'NaN' is not finite");
    assertProblem(dir, "a,label,b\n1,-1,2\n", "train.csv: row 2, column label: label -1 is negative (classes are 0…K−1)");
    assertProblem(dir, "", "train.csv: empty file (expected a header row with a 'label' column)");
    assertProblem(dir, "a,label,b\n", "train.csv: no data rows after the header");
    assertProblem(dir, "a,b\n1,2\n", "train.csv: row 1: no 'label' column in the header [a, b]");
    assertProblem(dir, "a,label,b\n1,0,2\n2,0,3\n", "train.csv: column label: every label is 0; at least two classes are needed");

    Path train = Files.writeString(dir.resolve("train.csv"), GOOD);
    Path outside = Files.writeString(dir.resolve("test.csv"), "a,label,b\n1,0,2\n1,5,2\n");
    DataFileException e = assertThrows(DataFileException.class,
        () -> new CsvSource(train, train, outside).load());
    assertEquals(outside + ": row 3, column label: label 5 is outside 0…2 (the classes of the"
        + " training file)", e.getMessage());
    Path otherColumns = Files.writeString(dir.resolve("val.csv"), "a,label,c\n1,0,2\n");
    e = assertThrows(DataFileException.class,
        () -> new CsvSource(train, otherColumns, train).load());
    assertEquals(otherColumns + ": row 1: columns [a, label, c] differ from the training file's"
        + " [a, label, b]", e.getMessage());
    e = assertThrows(DataFileException.class,
        () -> new CsvSource(train, dir.resolve("missing.csv"), train).load());
    assertEquals(dir.resolve("missing.csv") + ": file not found", e.getMessage());
  }

  private static void assertProblem(Path dir, String trainText, String expected)
      throws IOException {
    Path train = Files.writeString(dir.resolve("train.csv"), trainText);
    Path good = Files.writeString(dir.resolve("good.csv"), GOOD);
    DataFileException e = assertThrows(DataFileException.class,
        () -> new CsvSource(train, good, good).load());
    assertEquals(dir + "/" + expected, e.getMessage());
    assertEquals(1, e.getMessage().lines().count());
  }
}
