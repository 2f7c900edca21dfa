package io.distilflux.trainer.teacher;

import io.distilflux.trainer.data.DistillationData;
import io.distilflux.trainer.data.Split;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Properties;
import java.util.stream.Stream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains each teacher once and keeps it on disk, so student runs never retrain it. An entry is
 * keyed by a SHA-256 over the teacher's training data (shapes and values), the teacher's inputs
 * for D_train and the test set, the architecture name, the seed and the training settings; it
 * holds the network ({@code teacher.zip}), its logits on D_train ({@code logits.bin}) and its
 * accuracies ({@code teacher.properties}). An unreadable or inconsistent entry is retrained with
 * a warning.
 */
public final class TeacherCache {

  private static final Logger log = LoggerFactory.getLogger(TeacherCache.class);
  private static final String MODEL = "teacher.zip";
  private static final String LOGITS = "logits.bin";
  private static final String META = "teacher.properties";

  private final Path directory;
  private final TeacherTrainer trainer;

  /** A cache in {@code directory} with the built-in architectures. */
  public TeacherCache(Path directory) {
    this(directory, TeacherArchitectures.withDefaults());
  }

  /** A cache in {@code directory} resolving names in {@code architectures}. */
  public TeacherCache(Path directory, TeacherArchitectures architectures) {
    this.directory = directory;
    this.trainer = new TeacherTrainer(architectures);
  }

  /**
   * Teacher logits on D_train for data whose teacher sees the same inputs as the student on the
   * test set (images); the test accuracy is measured on {@code data.test()}.
   */
  public TeacherResult logitsFor(
      DistillationData data, String architecture, long seed, TeacherTraining settings) {
    return logitsFor(data, data.test(), architecture, seed, settings);
  }

  /**
   * Teacher logits on D_train, training the teacher only when no valid entry exists.
   *
   * @param teacherTest the test set as the teacher sees it (for the synthetic data, features
   *     0,1,2 of the test samples), for the reported test accuracy
   */
  public TeacherResult logitsFor(
      DistillationData data,
      Split teacherTest,
      String architecture,
      long seed,
      TeacherTraining settings) {
    String key = key(data, teacherTest, architecture, seed, settings);
    Path entry = directory.resolve(safe(architecture) + "-" + key.substring(0, 24));
    if (Files.isDirectory(entry)) {
      try {
        return load(entry, key, data);
      } catch (IOException | RuntimeException e) {
        log.warn("teacher cache entry {} is unusable ({}); retraining", entry, e.toString());
        deleteRecursively(entry);
      }
    }
    MultiLayerNetwork network =
        trainer.train(data.teacherTrain(), data.classes(), architecture, seed, settings);
    INDArray logits = TeacherTrainer.logits(network, data.teacherViewOfStudentTrain());
    double testAccuracy = TeacherTrainer.accuracy(network, teacherTest);
    double trainAccuracy = TeacherTrainer.accuracy(network, data.teacherTrain());
    store(entry, key, network, logits, testAccuracy, trainAccuracy, data.description());
    return new TeacherResult(logits, testAccuracy, trainAccuracy, false, entry);
  }

  private static TeacherResult load(Path entry, String key, DistillationData data)
      throws IOException {
    Properties meta = new Properties();
    try (InputStream in = Files.newInputStream(entry.resolve(META))) {
      meta.load(in);
    }
    if (!key.equals(meta.getProperty("key"))) {
      throw new IOException("key mismatch");
    }
    if (!Files.isRegularFile(entry.resolve(MODEL))) {
      throw new IOException(MODEL + " missing");
    }
    INDArray logits = Nd4j.readBinary(entry.resolve(LOGITS).toFile());
    long[] expected = {data.studentTrain().size(), data.classes()};
    if (!Arrays.equals(logits.shape(), expected)) {
      throw new IOException("logits shape " + Arrays.toString(logits.shape()) + ", expected "
          + Arrays.toString(expected));
    }
    return new TeacherResult(
        logits,
        Double.parseDouble(meta.getProperty("testAccuracy")),
        Double.parseDouble(meta.getProperty("trainAccuracy")),
        true,
        entry);
  }

  private void store(
      Path entry,
      String key,
      MultiLayerNetwork network,
      INDArray logits,
      double testAccuracy,
      double trainAccuracy,
      String description) {
    try {
      Files.createDirectories(directory);
      // Written beside the entry and moved into place, so a crash never leaves half an entry.
      Path staging = Files.createTempDirectory(directory, ".staging-");
      ModelSerializer.writeModel(network, staging.resolve(MODEL).toFile(), true);
      Nd4j.saveBinary(logits, staging.resolve(LOGITS).toFile());
      Properties meta = new Properties();
      meta.setProperty("key", key);
      meta.setProperty("testAccuracy", Double.toString(testAccuracy));
      meta.setProperty("trainAccuracy", Double.toString(trainAccuracy));
      meta.setProperty("data", description);
      try (OutputStream out = Files.newOutputStream(staging.resolve(META))) {
        meta.store(out, "distilflux teacher cache entry");
      }
      Files.move(staging, entry, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // The result is still valid; only reuse is lost.
      log.warn("could not store teacher cache entry {}: {}", entry, e.toString());
    }
  }

  static String key(
      DistillationData data,
      Split teacherTest,
      String architecture,
      long seed,
      TeacherTraining settings) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
    update(digest, "architecture=" + architecture + ";seed=" + seed + ";" + settings.key()
        + ";classes=" + data.classes());
    update(digest, data.teacherTrain().features());
    update(digest, data.teacherTrain().labels());
    update(digest, data.teacherViewOfStudentTrain());
    update(digest, teacherTest.features());
    update(digest, teacherTest.labels());
    return HexFormat.of().formatHex(digest.digest());
  }

  private static void update(MessageDigest digest, String text) {
    digest.update(text.getBytes(StandardCharsets.UTF_8));
  }

  private static void update(MessageDigest digest, INDArray array) {
    update(digest, array.dataType() + Arrays.toString(array.shape()));
    INDArray dense = array.isView() || array.ordering() != 'c' ? array.dup('c') : array;
    ByteBuffer bytes = dense.data().asNio().duplicate();
    bytes.position(0);
    bytes.limit((int) (dense.length() * dense.dataType().width()));
    digest.update(bytes);
  }

  private static String safe(String name) {
    return name.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  private static void deleteRecursively(Path entry) {
    try (Stream<Path> paths = Files.walk(entry)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new IllegalStateException(entry + ": cannot remove corrupt teacher cache entry", e);
    }
  }
}
