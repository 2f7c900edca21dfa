package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * Many runs in flight over the broker, fewer computing: runs that wait for their updates give
 * their compute permit back, so more runs are in flight than there are permits, while no more
 * than the permits ever compute, and every run computes the same numbers as when the runs train
 * one after another.
 */
class OverlappingRunsTest {

  private static final int STEPS = 40;

  @TempDir static Path workDir;
  private static KafkaServices services;

  @BeforeAll
  static void startServices() {
    services = new KafkaServices(Map.of("iterations", Integer.toString(STEPS),
        "mini-epoch", "5", "forecast-every", "2", "evaluate-every", "20"), workDir);
  }

  @AfterAll
  static void stopServices() {
    if (services != null) {
      services.close();
    }
  }

  @Test
  void runsWaitingOnTheBusOverlapWhileNoMoreComputeAtOnceThanThePermits() {
    ComputePermits permits = ComputePermits.of(1);
    AtomicInteger mostInFlight = new AtomicInteger();
    Map<String, List<Event>> events =
        services.trainTogether(runs("overlap"), permits, mostInFlight);
    events.forEach((run, list) -> assertNull(finished(list).failure(), run));
    assertEquals(1, permits.peakInUse(), "compute never exceeded the one permit");
    assertTrue(mostInFlight.get() > permits.permits(),
        "runs in flight at once: " + mostInFlight.get());
  }

  @Test
  void aRunWaitingForItsUpdateHoldsNoPermitSoAnotherRunComputesMeanwhile() {
    // No meta-optimizer on this bus: the hypergradient run waits for its first update until its
    // timeout. With one permit, the fixed run trains all its steps during that wait.
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      RunAssembler assembler = services.assembler(bus, Duration.ofSeconds(15));
      ComputePermits permits = ComputePermits.of(1);
      StudentRun waiting = assembler.assemble("waits-" + UUID.randomUUID(),
          services.config(RunConfig.Mode.HYPERGRADIENT, STEPS));
      StudentRun computing = assembler.assemble("computes-" + UUID.randomUUID(),
          services.config(RunConfig.Mode.FIXED, STEPS));
      List<RunFinished> order = Flux.merge(
              waiting.events(services.trainers, permits),
              computing.events(services.trainers, permits))
          .ofType(RunFinished.class)
          .collectList()
          .block(Duration.ofSeconds(120));
      assertEquals(computing.runId(), order.get(0).runId(), "the fixed run finished first");
      assertNull(order.get(0).failure());
      assertEquals(STEPS, order.get(0).steps());
      assertTrue(order.get(1).failure().contains("no meta-parameter update"),
          order.get(1).failure());
      assertEquals(1, permits.peakInUse());
    }
  }

  @Test
  void aRunThatOnlyComputesTrainsManyStepsUnderOnePermit() {
    int steps = 400;
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      RunAssembler assembler = services.assembler(bus, Duration.ofSeconds(15));
      ComputePermits permits = ComputePermits.of(1);
      StudentRun computing = assembler.assemble("slices-" + UUID.randomUUID(),
          services.config(RunConfig.Mode.FIXED, steps));
      RunFinished finished = computing.events(services.trainers, permits)
          .ofType(RunFinished.class)
          .blockLast(Duration.ofSeconds(120));
      assertNull(finished.failure());
      assertEquals(steps, finished.steps());
      // a permit a step would be steps + 1 grants (and two thread switches a step)
      assertTrue(permits.grants() < steps, "permits taken for " + steps + " steps: "
          + permits.grants());
    }
  }

  @Test
  void overlappingRunsComputeTheSameNumbersAsRunsOneAfterAnother() {
    Map<String, List<Event>> together = services.trainTogether(runs("together"),
        ComputePermits.of(2), new AtomicInteger());
    Map<String, List<Event>> alone = services.trainOneByOne(runs("alone"));
    List<String> togetherIds = List.copyOf(together.keySet().stream().sorted().toList());
    List<String> aloneIds = List.copyOf(alone.keySet().stream().sorted().toList());
    for (int r = 0; r < togetherIds.size(); r++) {
      List<TrainingStep> a = steps(together.get(togetherIds.get(r)));
      List<TrainingStep> b = steps(alone.get(aloneIds.get(r)));
      assertEquals(STEPS, a.size());
      assertEquals(STEPS, b.size());
      for (int t = 0; t < STEPS; t++) {
        TrainingStep x = a.get(t);
        TrainingStep y = b.get(t);
        String at = togetherIds.get(r) + " step " + t;
        assertEquals(y.phase(), x.phase(), at);
        assertEquals(y.trainLoss(), x.trainLoss(), 0.0, at);
        assertEquals(y.kdLoss(), x.kdLoss(), 0.0, at);
        assertEquals(y.meta(), x.meta(), at);
      }
      RunFinished x = finished(together.get(togetherIds.get(r)));
      RunFinished y = finished(alone.get(aloneIds.get(r)));
      assertEquals(y.finalEvaluation().testAccuracy(), x.finalEvaluation().testAccuracy(), 0.0);
      assertEquals(y.finalEvaluation().testLoss(), x.finalEvaluation().testLoss(), 0.0);
      assertEquals(y.hypergradientSteps(), x.hypergradientSteps());
    }
    assertTrue(together.values().stream().flatMap(events -> steps(events).stream())
        .anyMatch(s -> s.phase() == Phase.HYPERGRADIENT), "runs waited on the meta-optimizer");
  }

  /** Three hypergradient runs, two forecast runs and a plain one, named in sorted order. */
  private static Map<String, RunConfig> runs(String prefix) {
    String tag = prefix + "-" + UUID.randomUUID().toString().substring(0, 6) + "-";
    Map<String, RunConfig> runs = new LinkedHashMap<>();
    for (int r = 0; r < 3; r++) {
      runs.put(tag + "a" + r, services.config(RunConfig.Mode.HYPERGRADIENT, STEPS));
    }
    for (int r = 0; r < 2; r++) {
      runs.put(tag + "b" + r, services.config(RunConfig.Mode.FORECAST, STEPS));
    }
    runs.put(tag + "c", services.config(RunConfig.Mode.FIXED, STEPS));
    return runs;
  }

  private static List<TrainingStep> steps(List<Event> events) {
    return events.stream().filter(TrainingStep.class::isInstance).map(TrainingStep.class::cast)
        .toList();
  }

  private static RunFinished finished(List<Event> events) {
    return events.stream().filter(RunFinished.class::isInstance).map(RunFinished.class::cast)
        .findFirst().orElseThrow();
  }
}
