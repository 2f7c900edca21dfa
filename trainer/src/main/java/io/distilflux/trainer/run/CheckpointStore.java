package io.distilflux.trainer.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.event.SchemaUpgrade;
import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.trainer.distill.OptimizerState;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The checkpoints of one run, one folder each: {@code step-<12 digits>/} holding
 * {@code manifest.json} (run id, configuration, step, data position, meta-parameter position,
 * counters), {@code params.bin} (the student's parameters) and {@code optimizer-m.bin},
 * {@code optimizer-v.bin} (the inner optimizer's moments), arrays in ND4J's binary format.
 *
 * <p>A checkpoint is written to a hidden temporary folder, its files forced to disk, then
 * renamed into place in one move, so a reader sees a whole checkpoint or none; after a write
 * only the newest {@code keep} are kept.
 */
public final class CheckpointStore {

  /** Version of the layout; a reader refuses newer ones. */
  public static final int FORMAT_VERSION = 1;

  private static final Pattern NAME = Pattern.compile("step-(\\d{12})");
  private static final String MANIFEST = "manifest.json";
  private static final String PARAMS = "params.bin";
  private static final String FIRST_MOMENT = "optimizer-m.bin";
  private static final String SECOND_MOMENT = "optimizer-v.bin";

  private final Path folder;
  private final int keep;

  /**
   * @param folder the run's checkpoint folder (created on the first write)
   * @param keep how many of the newest checkpoints a write leaves
   */
  public CheckpointStore(Path folder, int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("keep must be >= 1, got " + keep);
    }
    this.folder = folder;
    this.keep = keep;
  }

  /** The run's checkpoint folder. */
  public Path folder() {
    return folder;
  }

  /**
   * Writes a checkpoint and removes the oldest beyond {@code keep}.
   *
   * @param batchesPerEpoch for the data position recorded in the manifest
   * @return the checkpoint's folder
   */
  public Path write(Checkpoint checkpoint, int batchesPerEpoch) {
    Path target = folder.resolve(String.format("step-%012d", checkpoint.step()));
    Path temporary = folder.resolve(".tmp-" + target.getFileName() + "-" + UUID.randomUUID());
    try {
      Files.createDirectories(temporary);
      writeArray(temporary.resolve(PARAMS), checkpoint.params());
      writeArray(temporary.resolve(FIRST_MOMENT), checkpoint.optimizer().firstMoment());
      writeArray(temporary.resolve(SECOND_MOMENT), checkpoint.optimizer().secondMoment());
      byte[] manifest = EventCodec.mapper().writerWithDefaultPrettyPrinter()
          .writeValueAsBytes(manifest(checkpoint, batchesPerEpoch));
      Files.write(temporary.resolve(MANIFEST), manifest);
      force(temporary.resolve(MANIFEST));
      if (Files.exists(target)) {
        deleteRecursively(target); // the same step written again (a resumed run's last step)
      }
      try {
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, target);
      }
      prune();
      return target;
    } catch (IOException e) {
      deleteQuietly(temporary);
      // an interrupted write says nothing itself (ClosedByInterruptException has no message)
      String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
      throw new UncheckedIOException("cannot write checkpoint " + target + ": " + why, e);
    }
  }

  /** Checkpoint folders, oldest first; temporary leftovers are not listed. */
  public List<Path> list() {
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(folder)) {
      return entries
          .filter(p -> NAME.matcher(p.getFileName().toString()).matches())
          .filter(p -> Files.isRegularFile(p.resolve(MANIFEST)))
          .sorted(Comparator.comparing(p -> p.getFileName().toString()))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + folder, e);
    }
  }

  /** The newest checkpoint, if any. */
  public Optional<Path> latest() {
    List<Path> all = list();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** The step a checkpoint folder continues from, from its name. */
  public static long stepOf(Path checkpointFolder) {
    var matcher = NAME.matcher(checkpointFolder.getFileName().toString());
    if (!matcher.matches()) {
      throw new IllegalArgumentException("not a checkpoint folder: " + checkpointFolder);
    }
    return Long.parseLong(matcher.group(1));
  }

  /**
   * Reads a checkpoint.
   *
   * @throws IllegalArgumentException when a file is missing or malformed, or the format is newer
   */
  public static Checkpoint read(Path checkpointFolder) {
    ObjectMapper mapper = EventCodec.mapper();
    try {
      JsonNode m = mapper.readTree(checkpointFolder.resolve(MANIFEST).toFile());
      int format = m.path("formatVersion").asInt(-1);
      if (format < 1 || format > FORMAT_VERSION) {
        throw new IllegalArgumentException("checkpoint " + checkpointFolder
            + " has format version " + format + ", this build reads up to " + FORMAT_VERSION);
      }
      JsonNode configTree = m.required("config");
      if (configTree instanceof ObjectNode fields) {
        // a manifest of an earlier build lacks the fields added since (data seed, divergence)
        SchemaUpgrade.runConfig(fields);
      }
      RunConfig config = mapper.treeToValue(configTree, RunConfig.class);
      JsonNode meta = m.path("meta");
      MetaPoint last = null;
      if (meta.hasNonNull("lastB")) {
        last = new MetaPoint(mapper.treeToValue(meta.get("lastB"), Unconstrained.class),
            mapper.treeToValue(meta.get("lastValues"), MetaValues.class),
            MetaParamSource.valueOf(meta.get("lastSource").asText()));
      }
      JsonNode counters = m.required("counters");
      Evaluation evaluation = m.hasNonNull("lastEvaluation")
          ? mapper.treeToValue(m.get("lastEvaluation"), Evaluation.class)
          : null;
      OptimizerState optimizer = new OptimizerState(
          readArray(checkpointFolder.resolve(FIRST_MOMENT)),
          readArray(checkpointFolder.resolve(SECOND_MOMENT)),
          m.required("optimizerSteps").asLong());
      return new Checkpoint(m.required("runId").asText(), config, m.required("step").asLong(),
          readArray(checkpointFolder.resolve(PARAMS)), optimizer,
          counters.required("hypergradientSteps").asLong(),
          counters.required("forecastSteps").asLong(),
          counters.required("hypergradientSeconds").asDouble(),
          counters.required("wallSeconds").asDouble(), evaluation, last);
    } catch (IOException | RuntimeException e) {
      if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
          && iae.getMessage().startsWith("checkpoint ")) {
        throw iae;
      }
      throw new IllegalArgumentException(
          "cannot read checkpoint " + checkpointFolder + ": " + e.getMessage(), e);
    }
  }

  private static ObjectNode manifest(Checkpoint c, int batchesPerEpoch) {
    ObjectMapper mapper = EventCodec.mapper();
    ObjectNode m = mapper.createObjectNode();
    m.put("formatVersion", FORMAT_VERSION);
    m.put("runId", c.runId());
    m.put("step", c.step());
    m.set("config", mapper.valueToTree(c.config()));
    ObjectNode data = m.putObject("data");
    data.put("epoch", c.step() / Math.max(1, batchesPerEpoch));
    data.put("batchInEpoch", c.step() % Math.max(1, batchesPerEpoch));
    data.put("batchesPerEpoch", batchesPerEpoch);
    data.put("seed", c.config().seed());
    data.put("rng", "epoch order = permutation(seed, epoch); validation draw = f(seed, step)");
    ObjectNode meta = m.putObject("meta");
    RunConfig config = c.config();
    meta.put("mode", config.mode().name());
    meta.put("nextPhase", config.phaseOf(c.step()).name());
    if (config.mode() == RunConfig.Mode.FORECAST) {
      long period = (long) config.miniEpoch() * config.forecastEvery();
      meta.put("periodStart", c.step() - c.step() % period);
      meta.put("positionInPeriod", c.step() % period);
    }
    if (c.lastPoint() != null) {
      meta.set("lastB", mapper.valueToTree(c.lastPoint().b()));
      meta.set("lastValues", mapper.valueToTree(c.lastPoint().values()));
      meta.put("lastSource", c.lastPoint().source().name());
    }
    m.put("optimizerSteps", c.optimizer().steps());
    ObjectNode counters = m.putObject("counters");
    counters.put("hypergradientSteps", c.hypergradientSteps());
    counters.put("forecastSteps", c.forecastSteps());
    counters.put("hypergradientSeconds", c.hypergradientSeconds());
    counters.put("wallSeconds", c.wallSeconds());
    if (c.lastEvaluation() != null) {
      m.set("lastEvaluation", mapper.valueToTree(c.lastEvaluation()));
    }
    return m;
  }

  private void prune() throws IOException {
    List<Path> all = list();
    for (int i = 0; i < all.size() - keep; i++) {
      deleteRecursively(all.get(i));
    }
  }

  private static void writeArray(Path file, INDArray array) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
        Files.newOutputStream(file)))) {
      Nd4j.write(array, out);
    }
    force(file);
  }

  private static INDArray readArray(Path file) throws IOException {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(
        Files.newInputStream(file)))) {
      return Nd4j.read(in);
    }
  }

  private static void force(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      if (Files.exists(dir)) {
        deleteRecursively(dir);
      }
    } catch (IOException ignored) {
      // best effort: a leftover temporary folder is never read
    }
  }
}
