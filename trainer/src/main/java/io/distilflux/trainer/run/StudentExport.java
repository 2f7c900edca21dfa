package io.distilflux.trainer.run;

import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.TrainingStep;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

/**
 * A trained student taken out of the tool: the network as a DL4J {@code ModelSerializer} zip any
 * DL4J application can load, with the run's meta-parameter trajectory ({@code
 * NAME.trajectory.csv}: step, phase, λ1, λ2, T, and a column per extra meta-parameter) and its resolved settings ({@code
 * NAME.settings.json}, the run's {@link RunConfig}) beside it.
 */
public final class StudentExport {

  private StudentExport() {}

  /**
   * The zip of one run: {@code file} itself when the experiment has a single run, otherwise
   * {@code file} with {@code -<runId>} before its extension.
   */
  public static Path fileFor(Path file, String runId, boolean single) {
    if (single) {
      return file;
    }
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String stem = dot > 0 ? name.substring(0, dot) : name;
    String extension = dot > 0 ? name.substring(dot) : ".zip";
    return file.resolveSibling(stem + "-" + runId + extension);
  }

  /**
   * Writes the three files; each is written beside its place and moved in, so a crash never
   * leaves half a file.
   *
   * @return the zip's path
   * @throws UncheckedIOException when a file cannot be written
   */
  public static Path write(Path zip, MultiLayerNetwork student, RunConfig config,
      List<TrainingStep> trajectory) {
    Path absolute = zip.toAbsolutePath();
    try {
      Files.createDirectories(absolute.getParent());
      Path staging = Files.createTempFile(absolute.getParent(), ".student-", ".zip");
      ModelSerializer.writeModel(student, staging.toFile(), false);
      Files.move(staging, absolute, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Path settings = sibling(absolute, ".settings.json");
      Files.writeString(settings, EventCodec.mapper().writerWithDefaultPrettyPrinter()
          .writeValueAsString(config), StandardCharsets.UTF_8);
      try (BufferedWriter out = Files.newBufferedWriter(sibling(absolute, ".trajectory.csv"),
          StandardCharsets.UTF_8)) {
        // one more column per extra meta-parameter of the run (lambdaC of a variational one)
        List<String> extras = List.copyOf(config.extraMeta().keySet());
        StringBuilder header = new StringBuilder("step,phase,lambda1,lambda2,temperature");
        extras.forEach(name -> header.append(',').append(name));
        out.write(header.append('\n').toString());
        for (TrainingStep step : trajectory) {
          StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%d,%s,%s,%s,%s",
              step.step(), step.phase().name().toLowerCase(Locale.ROOT), step.meta().lambda1(),
              step.meta().lambda2(), step.meta().temperature()));
          extras.forEach(name -> row.append(',').append(step.extra().getOrDefault(name, Double.NaN)));
          out.write(row.append('\n').toString());
        }
      }
      return absolute;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the student to " + zip + ": " + e.getMessage(),
          e);
    }
  }

  /** {@code student.zip} → {@code student.settings.json}. */
  public static Path sibling(Path zip, String suffix) {
    String name = zip.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return zip.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + suffix);
  }
}
