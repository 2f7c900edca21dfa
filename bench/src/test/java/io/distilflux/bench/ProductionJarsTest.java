package io.distilflux.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.monitor.MonitorService;
import io.distilflux.pipeline.EventCodec;
import io.distilflux.trainer.cli.Distilflux;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The production modules (pipeline, trainer, monitor), as classes folders or jars, hold no
 * benchmark: every benchmark class lives in this module.
 */
class ProductionJarsTest {

  private static final Pattern BENCHMARK_CLASS = Pattern.compile(
      ".*(Benchmark|Jmh|AlternatingRuns|WarmUp|NativeOpsProfile)[^/]*\\.class"
          + "|io/distilflux/pipeline/bench/.*\\.class|META-INF/BenchmarkList");

  @Test
  void productionModulesHoldNoBenchmarkClass() throws Exception {
    List<String> found = new ArrayList<>();
    for (Class<?> production : List.of(Distilflux.class, MonitorService.class, EventCodec.class)) {
      Path location = location(production);
      for (String entry : entries(location)) {
        if (BENCHMARK_CLASS.matcher(entry).matches()) {
          found.add(location.getFileName() + ": " + entry);
        }
      }
    }
    assertEquals(List.of(), found, "benchmark classes in production modules");
  }

  @Test
  void benchmarksComeFromTheBenchModule() throws Exception {
    Path bench = location(Class.forName("io.distilflux.trainer.cli.TransportBenchmark"));
    for (Class<?> production : List.of(Distilflux.class, MonitorService.class, EventCodec.class)) {
      assertNotEquals(location(production), bench, production.getName());
    }
    assertTrue(entries(bench).contains("io/distilflux/pipeline/kafka/BusBenchmark.class"));
  }

  private static Path location(Class<?> type) throws URISyntaxException {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  private static List<String> entries(Path location) throws IOException {
    if (Files.isDirectory(location)) {
      try (Stream<Path> files = Files.walk(location)) {
        return files.filter(Files::isRegularFile)
            .map(p -> location.relativize(p).toString().replace('\\', '/'))
            .toList();
      }
    }
    try (JarFile jar = new JarFile(location.toFile())) {
      return jar.stream().map(e -> e.getName()).toList();
    }
  }
}
