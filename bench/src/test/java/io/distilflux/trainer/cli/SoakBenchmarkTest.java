package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SoakBenchmarkTest {

  @Test
  void aSawToothWithoutTrendIsFlatByItsQuarterMedians() {
    List<SoakBenchmark.Sample> series = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      long mb = i % 5 == 4 ? 600 : 550; // a collection's peak every fifth sample
      series.add(new SoakBenchmark.Sample(i, mb * 1_000_000L));
    }
    String trend = SoakBenchmark.trend("trainer", series, 2);
    assertTrue(trend.contains("550 MB (first quarter") && trend.contains("-> 550 MB"), trend);
    assertTrue(trend.contains("+0.0 %"), trend);
  }

  @Test
  void steadyGrowthShowsInTheMediansAndTheSlope() {
    List<SoakBenchmark.Sample> series = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      series.add(new SoakBenchmark.Sample(i, (500 + 10L * i) * 1_000_000L));
    }
    String trend = SoakBenchmark.trend("trainer", series, 0);
    assertTrue(trend.contains("+600.0 MB/h"), trend);
    assertTrue(trend.contains("520 MB (first quarter") && trend.contains("-> 670 MB"), trend);
  }
}
