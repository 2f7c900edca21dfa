package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.ExtraGradient;
import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunEvent;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;

/**
 * The main job through the embedded broker: a hypergradient run and a forecast run on the
 * synthetic data, with the meta-optimizer and the monitor, then every topic read back.
 */
class PipelineEndToEndTest {

  private static final int STEPS = 60;
  /** Every step of a hypergradient run waits for a round trip through the broker: keep it short. */
  private static final int HG_STEPS = 30;
  private static final int MINI_EPOCH = 5;
  private static final int FORECAST_EVERY = 2;
  private static final double SAME = 1e-12;

  @TempDir static Path workDir;
  private static KafkaServices services;

  /** Everything a run left on the topics. */
  private record Recorded(List<TrainingStep> steps, List<HyperGradient> hyperGradients,
      List<MetaParams> metaParams, List<TrajectoryForecast> forecasts,
      List<Evaluation> evaluations, List<RunEvent> runs) {}

  @BeforeAll
  static void startServices() {
    services = new KafkaServices(Map.of("iterations", Integer.toString(STEPS),
        "mini-epoch", Integer.toString(MINI_EPOCH),
        "forecast-every", Integer.toString(FORECAST_EVERY),
        "evaluate-every", "20", "meta-timeout", "10"), workDir);
  }

  @AfterAll
  static void stopServices() {
    if (services != null) {
      services.close();
    }
  }

  /** Run ahead 0: each step waits for its update; 4: up to four steps on the run's own. */
  @ParameterizedTest(name = "run ahead {0}")
  @ValueSource(ints = {0, 4})
  void hypergradientRunUsesEachUpdateOfTheMetaOptimizerAtTheStepItWasMadeFor(int runAhead)
      throws Exception {
    String runId = "e2e-hypergradient-" + runAhead;
    RunFinished finished =
        services.train(runId,
        services.config(RunConfig.Mode.HYPERGRADIENT, HG_STEPS), runAhead, Function.identity());
    assertNull(finished.failure(), "failure: " + finished.failure());
    assertEquals(HG_STEPS, finished.steps());
    assertEquals(HG_STEPS, finished.hypergradientSteps());
    assertEquals(0, finished.forecastSteps());
    assertScrapeShowsRun(runId);

    Recorded r = readBack(runId, false);
    assertStepsOnceInOrder(r.steps(), HG_STEPS);
    assertTrue(r.steps().stream().allMatch(s -> s.phase() == Phase.HYPERGRADIENT));
    assertEquals(HG_STEPS, r.hyperGradients().size());
    Map<Long, MetaParams> byVersion = oneMetaParamsPerVersion(r.metaParams());
    assertEquals(HG_STEPS, byVersion.size(),
        "one update per hypergradient: versions 1.." + HG_STEPS);
    for (HyperGradient hg : r.hyperGradients()) {
      TrainingStep step = r.steps().get((int) hg.step());
      assertValuesEqual(hg.at().toValues(), step.meta(), "step " + hg.step());
      if (hg.step() >= 1) {
        MetaParams update = byVersion.get(hg.step());
        assertNotNull(update, "no MetaParams of version " + hg.step());
        assertEquals(update.b(), hg.at(), "b used at step " + hg.step());
      }
    }
    assertLifecycle(r, runId, HG_STEPS);
  }

  /**
   * A consumer that takes one event at a time leaves most of a step's events unsent for a while;
   * a step that waits for an update must never wait on a hypergradient still held back there.
   */
  @ParameterizedTest(name = "run ahead {0}")
  @ValueSource(ints = {0, 4})
  void aRunWhoseEventsAreTakenOneAtATimeGetsEveryUpdate(int runAhead) throws Exception {
    String runId = "e2e-slow-consumer-" + runAhead;
    RunFinished finished = services.train(runId,
        services.config(RunConfig.Mode.HYPERGRADIENT, HG_STEPS), runAhead,
        events -> events.limitRate(1).delayElements(Duration.ofMillis(1)));
    assertNull(finished.failure(), "failure: " + finished.failure());
    assertEquals(HG_STEPS, finished.steps());
  }

  @Test
  void aRunAheadOfTheMetaOptimizerTrainsTheNumbersOfARunThatWaits() throws Exception {
    RunConfig config = services.config(RunConfig.Mode.FORECAST, STEPS);
    RunFinished waiting = services.train("e2e-same-waits", config, 0, Function.identity());
    RunFinished ahead = services.train("e2e-same-ahead", config, 3, Function.identity());
    assertNull(ahead.failure(), "failure: " + ahead.failure());
    List<TrainingStep> waited = readBack("e2e-same-waits", true).steps();
    List<TrainingStep> ran = readBack("e2e-same-ahead", true).steps();
    assertEquals(STEPS, ran.size());
    for (int t = 0; t < STEPS; t++) {
      assertEquals(waited.get(t).meta(), ran.get(t).meta(), "λ of step " + t);
      assertEquals(waited.get(t).trainLoss(), ran.get(t).trainLoss(), "loss of step " + t);
    }
    assertEquals(waiting.finalEvaluation().testAccuracy(), ahead.finalEvaluation().testAccuracy());
    assertEquals(waiting.finalEvaluation().testLoss(), ahead.finalEvaluation().testLoss());
  }

  @ParameterizedTest(name = "run ahead {0}")
  @ValueSource(ints = {0, 4})
  void forecastRunFollowsThePublishedTrajectoryLines(int runAhead) throws Exception {
    String runId = "e2e-forecast-" + runAhead;
    RunConfig config = services.config(RunConfig.Mode.FORECAST, STEPS);
    RunFinished finished = services.train(runId, config, runAhead, Function.identity());
    assertNull(finished.failure(), "failure: " + finished.failure());
    long hypergradientSteps = 0;
    for (long t = 0; t < STEPS; t++) {
      hypergradientSteps += config.phaseOf(t) == Phase.HYPERGRADIENT ? 1 : 0;
    }
    assertEquals(STEPS, finished.steps());
    assertEquals(hypergradientSteps, finished.hypergradientSteps());
    assertEquals(STEPS - hypergradientSteps, finished.forecastSteps());
    assertTrue(finished.forecastSteps() > 0);

    Recorded r = readBack(runId, true);
    assertStepsOnceInOrder(r.steps(), STEPS);
    assertEquals(hypergradientSteps, r.hyperGradients().size());
    Map<Long, TrajectoryForecast> forecasts = r.forecasts().stream()
        .collect(Collectors.toMap(TrajectoryForecast::periodStart, f -> f, (a, b) -> {
          throw new AssertionError("two forecasts for period " + a.periodStart());
        }));
    Map<Long, MetaParams> byVersion = oneMetaParamsPerVersion(r.metaParams());
    long period = (long) MINI_EPOCH * FORECAST_EVERY;
    int checkedForecastSteps = 0;
    int checkedContinuations = 0;
    for (TrainingStep step : r.steps()) {
      long t = step.step();
      long periodStart = t - t % period;
      assertEquals(config.phaseOf(t), step.phase(), "phase of step " + t);
      if (step.phase() == Phase.FORECAST) {
        TrajectoryForecast line = forecasts.get(periodStart);
        assertNotNull(line, "no forecast for period " + periodStart);
        assertTrue(line.covers(t), "forecast of period " + periodStart + " covers " + t);
        assertValuesEqual(line.at(t).toValues(), step.meta(), "forecast step " + t);
        checkedForecastSteps++;
      } else if (t == periodStart && t > 0) {
        // A hypergradient mini-epoch starts where the previous line continues.
        TrajectoryForecast previous = forecasts.get(periodStart - period);
        assertValuesEqual(previous.at(t).toValues(), step.meta(), "period start " + t);
        checkedContinuations++;
      }
    }
    for (HyperGradient hg : r.hyperGradients()) {
      assertEquals(Phase.HYPERGRADIENT, config.phaseOf(hg.step()));
      assertValuesEqual(hg.at().toValues(), r.steps().get((int) hg.step()).meta(),
          "hypergradient step " + hg.step());
      if (hg.step() % period != 0) {
        assertEquals(byVersion.get(hg.step()).b(), hg.at(), "b used at step " + hg.step());
      }
    }
    assertEquals(STEPS - hypergradientSteps, checkedForecastSteps);
    assertEquals(STEPS / period - 1, checkedContinuations);
    assertLifecycle(r, runId, STEPS);
  }

  @Test
  void aVariationalStudentsLambdaCTravelsThroughTheBrokerTheMetaOptimizerAndTheMonitor()
      throws Exception {
    String runId = "e2e-variational";
    String name = ExtraParameter.COMPLEXITY.jsonName();
    RunConfig config = services.config(RunConfig.Mode.FORECAST, STEPS)
        .withExtraMeta(Map.of(name, 0.0));
    RunFinished finished = services.train(runId, config, Function.identity());
    assertNull(finished.failure(), "failure: " + finished.failure());
    assertScrapeShows(runId, "distilflux_meta_extra{name=\"" + name + "\"");
    assertScrapeShows(runId, "distilflux_student_kl{");

    Recorded r = readBack(runId, true);
    assertStepsOnceInOrder(r.steps(), STEPS);
    Map<Long, MetaParams> byVersion = oneMetaParamsPerVersion(r.metaParams());
    Map<Long, TrajectoryForecast> forecasts = r.forecasts().stream()
        .collect(Collectors.toMap(TrajectoryForecast::periodStart, f -> f));
    long period = (long) MINI_EPOCH * FORECAST_EVERY;
    for (HyperGradient hg : r.hyperGradients()) {
      ExtraGradient extra = hg.extra().get(name);
      assertNotNull(extra, "λ_c's coordinate in hypergradient " + hg.step());
      assertTrue(Double.isFinite(extra.gradient()) && extra.gradient() != 0,
          "dL_val/db4 at step " + hg.step() + ": " + extra.gradient());
      assertEquals(ExtraParameter.COMPLEXITY.value(extra.at()),
          r.steps().get((int) hg.step()).extra().get(name), SAME, "λ_c used at " + hg.step());
      if (hg.step() % period != 0) {
        assertEquals(byVersion.get(hg.step()).extra().get(name).b(), extra.at(), SAME,
            "b4 the meta-optimizer published for step " + hg.step());
      }
    }
    for (TrainingStep step : r.steps()) {
      if (step.phase() == Phase.FORECAST) {
        TrajectoryForecast line = forecasts.get(step.step() - step.step() % period);
        assertTrue(line.extra().containsKey(name), "λ_c's line in " + line);
        assertEquals(ExtraParameter.COMPLEXITY.value(line.extraAt(step.step()).get(name)),
            step.extra().get(name), SAME, "forecast λ_c at " + step.step());
      }
    }
    assertTrue(r.metaParams().stream().anyMatch(m -> m.extra().get(name).b() != 0.0),
        "the meta-optimizer moved b4");
    // the student's diagnostics: KL after every step, S at the evaluated steps
    for (TrainingStep step : r.steps()) {
      assertTrue(step.extra().get(TrainingStep.KL) > 0, "KL at step " + step.step());
      boolean evaluated = (step.step() + 1) % config.evaluateEvery() == 0;
      assertEquals(evaluated, step.extra().containsKey(TrainingStep.STABILITY),
          "S at step " + step.step());
    }
    assertLifecycle(r, runId, STEPS);
  }

  @Test
  void aSupernetStudentsStructureLogitsTravelThroughTheBrokerTheMetaOptimizerAndTheMonitor()
      throws Exception {
    String runId = "e2e-supernet";
    Map<String, Double> logits = supernetLogits();
    RunConfig config = services.config(RunConfig.Mode.HYPERGRADIENT, HG_STEPS)
        .withExtraMeta(logits);
    RunFinished finished = services.train(runId, config, Function.identity());
    assertNull(finished.failure(), "failure: " + finished.failure());
    assertEquals(HG_STEPS, finished.steps());
    assertScrapeShows(runId, "distilflux_meta_extra{name=\"logAlpha4\"");

    Recorded r = readBack(runId, false);
    assertStepsOnceInOrder(r.steps(), HG_STEPS);
    assertEquals(HG_STEPS, r.hyperGradients().size());
    Map<Long, MetaParams> byVersion = oneMetaParamsPerVersion(r.metaParams());
    for (HyperGradient hg : r.hyperGradients()) {
      assertEquals(logits.keySet(), hg.extra().keySet(), "the logits in hypergradient "
          + hg.step());
      for (String name : logits.keySet()) {
        ExtraGradient extra = hg.extra().get(name);
        assertTrue(Double.isFinite(extra.gradient()),
            "dL_val/d" + name + " at step " + hg.step() + ": " + extra.gradient());
        // the trainer's step used the logit the hypergradient was taken at
        assertEquals(extra.at(), r.steps().get((int) hg.step()).extra().get(name), SAME,
            name + " used at " + hg.step());
        if (hg.step() >= 1) {
          assertEquals(byVersion.get(hg.step()).extra().get(name).b(), extra.at(), SAME,
              name + " the meta-optimizer published for step " + hg.step());
        }
      }
    }
    assertTrue(r.hyperGradients().stream().anyMatch(hg -> hg.extra().values().stream()
        .anyMatch(e -> e.gradient() != 0)), "some logit's hypergradient is not zero");
    assertTrue(r.metaParams().stream().anyMatch(m -> m.extra().values().stream()
        .anyMatch(e -> e.b() != 0.0)), "the meta-optimizer moved the logits");
    assertLifecycle(r, runId, HG_STEPS);
  }

  @Test
  void aSupernetRunPublishesOneStructureChosenAtTheEndOfItsSearchAndFinishesOnTheStudent()
      throws Exception {
    String runId = "e2e-structure-switch";
    Map<String, Double> logits = supernetLogits();
    RunConfig config = services.config(RunConfig.Mode.FORECAST, STEPS).withExtraMeta(logits);
    RunFinished finished = services.train(runId, config, Function.identity());
    assertNull(finished.failure(), "failure: " + finished.failure());
    assertEquals(STEPS, finished.steps());

    List<io.distilflux.pipeline.event.StructureChosen> chosen =
        TopicReader.all(services.bus, services.topics.structure(), runId)
            .block(Duration.ofSeconds(60));
    assertEquals(1, chosen.size(), "StructureChosen events on the topic: " + chosen);
    io.distilflux.pipeline.event.StructureChosen event = chosen.get(0);
    // the search takes half the run and ends at a mini-epoch boundary
    assertEquals(0, (event.step() + 1) % MINI_EPOCH, "switch after step " + event.step());
    assertTrue(event.step() + 1 >= STEPS / 2 && event.step() + 1 < STEPS,
        "switch after step " + event.step());
    assertEquals(logits.size(), event.structureLogits().size());
    Recorded r = readBack(runId, true);
    assertStepsOnceInOrder(r.steps(), STEPS);
    // the logits the last supernet step used are the ones the choice was the argmax of
    TrainingStep last = r.steps().get((int) event.step());
    for (int i = 0; i < logits.size(); i++) {
      assertEquals(event.structureLogits().get(i),
          last.extra().get(ExtraParameter.structureLogit(i).jsonName()), SAME, "logit " + i);
    }
    // c falls geometrically over the search, reaches 0.1 by the switch and is gone after it
    double previous = Double.POSITIVE_INFINITY;
    for (TrainingStep s : r.steps()) {
      Double c = s.extra().get(TrainingStep.GUMBEL_TEMPERATURE);
      if (s.step() > event.step()) {
        assertNull(c, "no temperature after the switch, step " + s.step());
        continue;
      }
      assertTrue(c != null && c <= previous, "c = " + c + " at step " + s.step());
      assertTrue(s.step() >= STEPS / 2 || c < previous, "c falls during the search");
      previous = c;
    }
    assertEquals(1.0, r.steps().get(0).extra().get(TrainingStep.GUMBEL_TEMPERATURE), SAME);
    assertEquals(0.1, last.extra().get(TrainingStep.GUMBEL_TEMPERATURE), SAME);
    // after the switch the student distils: its steps have a distillation term
    assertTrue(r.steps().stream().filter(s -> s.step() > event.step())
        .allMatch(s -> s.kdLoss() > 0), "distillation after the switch");
    assertTrue(r.steps().stream().filter(s -> s.step() <= event.step())
        .allMatch(s -> s.kdLoss() == 0), "the supernet trains on the labels");
    assertLifecycle(r, runId, STEPS);
  }

  /** The standard supernet's five structure logits, starting at 0. */
  private static Map<String, Double> supernetLogits() {
    Map<String, Double> logits = new java.util.TreeMap<>();
    for (int i = 0; i < 5; i++) {
      logits.put(ExtraParameter.structureLogit(i).jsonName(), 0.0);
    }
    return logits;
  }

  /**
   * Reads every topic of the run back from the broker. A hypergradient run has no forecasts;
   * that topic is skipped for it, as waiting for a first record that never comes would cost
   * the reader's whole first-record timeout.
   */
  private static Recorded readBack(String runId, boolean withForecasts) {
    var bus = services.bus;
    var topics = services.topics;
    return Mono.zip(objects -> new Recorded(cast(objects[0]), cast(objects[1]),
                cast(objects[2]), cast(objects[3]), cast(objects[4]), cast(objects[5])),
            TopicReader.all(bus, topics.steps(), runId),
            TopicReader.all(bus, topics.hyperGradients(), runId),
            TopicReader.all(bus, topics.metaParams(), runId),
            withForecasts ? TopicReader.all(bus, topics.forecasts(), runId)
                : Mono.just(List.<TrajectoryForecast>of()),
            TopicReader.all(bus, topics.evaluations(), runId),
            TopicReader.all(bus, topics.runs(), runId))
        .block(Duration.ofSeconds(60));
  }

  @SuppressWarnings("unchecked")
  private static <T> List<T> cast(Object list) {
    return (List<T>) list;
  }

  static void assertStepsOnceInOrder(List<TrainingStep> steps, long expected) {
    assertEquals(expected, steps.size(), "steps on the topic");
    for (int i = 0; i < steps.size(); i++) {
      assertEquals(i, steps.get(i).step(), "step at position " + i);
    }
  }

  static Map<Long, MetaParams> oneMetaParamsPerVersion(List<MetaParams> all) {
    return all.stream().collect(Collectors.toMap(MetaParams::version, m -> m, (a, b) -> {
      throw new AssertionError("two MetaParams of version " + a.version());
    }));
  }

  private static void assertLifecycle(Recorded r, String runId, long steps) {
    assertFalse(r.evaluations().isEmpty(), "evaluations of " + runId);
    assertEquals(steps - 1, r.evaluations().get(r.evaluations().size() - 1).step());
    assertEquals(2, r.runs().size(), "RunStarted and RunFinished of " + runId);
    assertTrue(r.runs().get(0) instanceof RunStarted);
    RunFinished finished = (RunFinished) r.runs().get(1);
    assertNull(finished.failure());
    assertEquals(steps, finished.steps());
    assertTrue(r.steps().stream().allMatch(s -> s.runId().equals(runId)));
  }

  private static void assertValuesEqual(MetaValues expected, MetaValues actual, String where) {
    assertEquals(expected.lambda1(), actual.lambda1(), SAME, "λ1 at " + where);
    assertEquals(expected.lambda2(), actual.lambda2(), SAME, "λ2 at " + where);
    assertEquals(expected.temperature(), actual.temperature(), SAME, "T at " + where);
  }

  /** The monitor's scrape endpoint shows the run's λ and its step counter. */
  private static void assertScrapeShowsRun(String runId) throws Exception {
    assertScrapeShows(runId, "distilflux_meta_lambda1{");
  }

  /** The monitor's scrape endpoint shows the run's meter of this prefix and its step counter. */
  private static void assertScrapeShows(String runId, String lambdaLine) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    HttpRequest request = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + services.monitor.port() + "/metrics")).build();
    String body = "";
    // The monitor consumes asynchronously; poll briefly until it has seen the run.
    for (int attempt = 0; attempt < 50; attempt++) {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode());
      body = response.body();
      if (body.lines().anyMatch(l -> l.startsWith(lambdaLine) && l.contains("run=\"" + runId + "\""))
          && body.lines().anyMatch(l -> l.startsWith("distilflux_steps_total")
              && l.contains("run=\"" + runId + "\""))) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no " + lambdaLine + " / distilflux_steps_total for run "
        + runId + " in:\n" + body);
  }
}
