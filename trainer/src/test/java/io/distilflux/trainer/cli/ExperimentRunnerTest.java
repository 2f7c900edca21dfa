package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.trainer.run.DataOptions;
import io.distilflux.trainer.run.RunData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentRunnerTest {

  @TempDir Path dir;

  @Test
  void teachersTrainWhileTheServicesStartAndNoMoreOnceTheyHaveStarted() throws IOException {
    ExperimentSpec spec = RunOptions.parse(Map.of("transport", "direct", "seeds", "3",
        "modes", "fixed,random", "iterations", "10", "teacher-steps", "20"));
    List<RunConfig> configs = spec.modes().stream()
        .flatMap(mode -> spec.seeds().stream().map(seed -> spec.configFor(mode, seed, 10)))
        .toList();

    // still starting when asked once, started from then on: the first seed's teacher only
    AtomicInteger asked = new AtomicInteger();
    Path first = dir.resolve("first");
    assertEquals(1, ExperimentRunner.prepareWhile(() -> asked.getAndIncrement() == 0,
        data(first), configs));
    assertEquals(1, teachersIn(first));

    // started already: nothing
    Path none = dir.resolve("none");
    assertEquals(0, ExperimentRunner.prepareWhile(() -> false, data(none), configs));
    assertEquals(0, teachersIn(none));

    // starting throughout: every run's data, one teacher a seed, shared by the seed's runs
    Path all = dir.resolve("all");
    assertEquals(configs.size(), ExperimentRunner.prepareWhile(() -> true, data(all), configs));
    assertEquals(3, teachersIn(all));
  }

  private static RunData data(Path teachers) {
    return new RunData(new DataOptions(0, 0, 0, 1, 20, teachers));
  }

  private static long teachersIn(Path cache) throws IOException {
    if (!Files.isDirectory(cache)) {
      return 0;
    }
    try (Stream<Path> entries = Files.list(cache)) {
      return entries.filter(Files::isDirectory)
          .filter(p -> !p.getFileName().toString().startsWith(".")).count();
    }
  }
}
