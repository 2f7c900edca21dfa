package io.distilflux.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.ExtraGradient;
import io.distilflux.pipeline.event.ExtraLine;
import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.pipeline.event.ExtraValue;
import io.distilflux.pipeline.event.Extras;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunEvent;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.StructureChosen;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventCodecTest {

  private static final int V = Event.CURRENT_SCHEMA_VERSION;
  private static final Unconstrained B = new Unconstrained(0.5, -0.25, -1.0);

  static List<Event> everyEventType() {
    RunConfig config = new RunConfig(RunConfig.DatasetKind.SYNTHETIC, "", RunConfig.Mode.FORECAST,
        7, 1, 100, 0, "logreg", "logreg", RunConfig.OptimizerKind.SGD, 0.1,
        RunConfig.OptimizerKind.ADAM, 0.5, 1.0, 10, 2, B, false, 50, 0, false);
    Evaluation evaluation = new Evaluation(V, "r", 99, 0, 0.8, 0.4, 0.75, 0.5);
    return List.of(
        new TrainingStep(V, "r", 3, 0, Phase.FORECAST, 1.5, 0.7, 0.9, B.toValues(), 0.002, 1L),
        new HyperGradient(V, "r", 3, B, new Unconstrained(Double.NaN, Double.POSITIVE_INFINITY, -2),
            0.3, 0.1),
        new MetaParams(V, "r", 4, B.toValues(), B, MetaParamSource.OPTIMIZER),
        new TrajectoryForecast(V, "r", 0, 10, 19, B, B, B, 10),
        evaluation,
        new RunStarted(V, "r", config, 5L, new Provenance("dev", "17", "host", "cpu")),
        new RunFinished(V, "r", 100, evaluation, 50, 50, 1.0, 0.5, null, 6L),
        new RunFinished(V, "r", 3, null, 3, 0, 1.0, 0.5, "no update within PT1M", 6L));
  }

  @Test
  void everyEventTypeSurvivesARoundTrip() {
    for (Event event : everyEventType()) {
      Event decoded = EventCodec.decode(EventCodec.encode(event), Event.class);
      assertEquals(event, decoded, event.getClass().getSimpleName());
    }
  }

  @Test
  void recordsOfSchemaVersionOneReadWithoutDataSeedAndWithTheForwardDivergence() {
    RunConfig current = new RunConfig(RunConfig.DatasetKind.SYNTHETIC, "", RunConfig.Mode.FORECAST,
        7, 1, 100, 0, "logreg", "logreg", RunConfig.OptimizerKind.ADAM, 1e-3,
        RunConfig.OptimizerKind.NORMALIZED, 10, 1e4, 10, 2, B, false, 50, 0, true, 42L,
        RunConfig.Divergence.REVERSE);
    RunStarted started = new RunStarted(V, "r", current, 5L, new Provenance("d", "17", "h", "c"));
    String json = EventCodec.encodeToString(started);
    assertEquals(started, EventCodec.decode(json.getBytes(StandardCharsets.UTF_8), Event.class));

    String versionOne = json.replace("\"schemaVersion\":" + V, "\"schemaVersion\":1")
        .replace(",\"dataSeed\":42", "").replace(",\"divergence\":\"REVERSE\"", "")
        .replace("\"NORMALIZED\"", "\"SGD\"");
    RunStarted old = EventCodec.decode(versionOne.getBytes(StandardCharsets.UTF_8),
        RunStarted.class);
    assertEquals(1, old.schemaVersion());
    assertNull(old.config().dataSeed());
    assertEquals(RunConfig.Divergence.FORWARD, old.config().divergence());
    assertEquals(current.seed(), old.config().seed());

    HyperGradient gradient = new HyperGradient(V, "r", 3, B, B, 0.3, 0.1, 2.5);
    String gradientJson = EventCodec.encodeToString(gradient);
    assertEquals(gradient, EventCodec.decode(gradientJson.getBytes(StandardCharsets.UTF_8),
        HyperGradient.class));
    String oldGradient = gradientJson.replace("\"schemaVersion\":" + V, "\"schemaVersion\":1")
        .replace(",\"validationGradientNormSquared\":2.5", "");
    assertTrue(Double.isNaN(EventCodec.decode(oldGradient.getBytes(StandardCharsets.UTF_8),
        HyperGradient.class).validationGradientNormSquared()));
    // the current version must carry the new fields
    assertReason("validationGradientNormSquared",
        gradientJson.replace(",\"validationGradientNormSquared\":2.5", ""));
  }

  @Test
  void recordsOfSchemaVersionTwoReadWithoutUserFilesAndCurrentOnesCarryThem() {
    RunConfig withFiles = new RunConfig(RunConfig.DatasetKind.CSV, "", RunConfig.Mode.FIXED,
        7, 1, 100, 0, "teacher.zip", "student.json", RunConfig.OptimizerKind.ADAM, 1e-3,
        RunConfig.OptimizerKind.SGD, 1, 1, 10, 2, B, false, 50, 0, false, null,
        RunConfig.Divergence.FORWARD,
        java.util.List.of(new io.distilflux.pipeline.event.InputFile("train", "t.csv", "ab12")));
    RunStarted started = new RunStarted(V, "r", withFiles, 5L, new Provenance("d", "17", "h", "c"));
    String json = EventCodec.encodeToString(started);
    assertEquals(started, EventCodec.decode(json.getBytes(StandardCharsets.UTF_8), Event.class));
    assertEquals("ab12", withFiles.input("train").orElseThrow().sha256());

    String withoutInputs = json.replace(
        ",\"inputs\":[{\"role\":\"train\",\"path\":\"t.csv\",\"sha256\":\"ab12\"}]", "");
    RunStarted versionTwo = EventCodec.decode(withoutInputs
        .replace("\"schemaVersion\":" + V, "\"schemaVersion\":2")
        .getBytes(StandardCharsets.UTF_8), RunStarted.class);
    assertEquals(java.util.List.of(), versionTwo.config().inputs());
    // the current version must carry the new field
    MalformedEventException missing = assertThrows(MalformedEventException.class,
        () -> EventCodec.decode(withoutInputs.getBytes(StandardCharsets.UTF_8), RunStarted.class));
    assertTrue(missing.getMessage().contains("inputs"), missing.getMessage());
  }

  @Test
  void eventsWithExtrasSurviveARoundTrip() {
    RunConfig config = new RunConfig(RunConfig.DatasetKind.MNIST, "d", RunConfig.Mode.FORECAST,
        7, 1, 100, 0, "none", "variational", RunConfig.OptimizerKind.SGD, 0.1,
        RunConfig.OptimizerKind.SGD, 0.5, 1.0, 10, 2, B, false, 50, 0, false)
        .withExtraMeta(java.util.Map.of("lambdaC", -0.5));
    List<Event> events = List.of(
        new RunStarted(V, "r", config, 5L, new Provenance("dev", "17", "host", "cpu")),
        new HyperGradient(V, "r", 3, B, B, 0.3, 0.1, 2.5,
            java.util.Map.of("lambdaC", new ExtraGradient(-0.5, Double.NaN))),
        new MetaParams(V, "r", 4, B.toValues(), B, MetaParamSource.OPTIMIZER,
            java.util.Map.of("lambdaC", ExtraValue.of(ExtraParameter.COMPLEXITY, -0.5))),
        new TrajectoryForecast(V, "r", 0, 10, 19, B, B, B, 10,
            java.util.Map.of("lambdaC", new ExtraLine(0.01, -0.5, 0.001))));
    for (Event event : events) {
      String json = EventCodec.encodeToString(event);
      assertTrue(json.contains("lambdaC"), json);
      assertEquals(event, EventCodec.decode(json.getBytes(StandardCharsets.UTF_8), Event.class));
    }
  }

  @Test
  void aRecordWithoutExtrasIsReadAsBefore() {
    for (Event event : everyEventType()) {
      String json = EventCodec.encodeToString(event);
      String versionThree = json.replace("\"schemaVersion\":" + V, "\"schemaVersion\":3")
          .replace(",\"extra\":{}", "").replace(",\"extraMeta\":{}", "");
      Event old = EventCodec.decode(versionThree.getBytes(StandardCharsets.UTF_8), Event.class);
      assertEquals(3, old.schemaVersion());
      // the same event but for its version number: no extras, every other field as written
      assertEquals(EventCodec.encodeToString(event).replace("\"schemaVersion\":" + V, ""),
          EventCodec.encodeToString(old).replace("\"schemaVersion\":3", ""));
      if (json.contains("\"extra\":{}")) {
        // the current version must carry the field
        MalformedEventException missing = assertThrows(MalformedEventException.class,
            () -> EventCodec.decode(json.replace(",\"extra\":{}", "")
                .getBytes(StandardCharsets.UTF_8), Event.class));
        assertTrue(missing.getMessage().contains("extra"), missing.getMessage());
      }
    }
  }

  @Test
  void hostileExtrasAreRejectedWithoutBuildingState() {
    String gradient = EventCodec.encodeToString(new HyperGradient(V, "r", 3, B, B, 0.3, 0.1, 2.5,
        java.util.Map.of("lambdaC", new ExtraGradient(0, 1))));
    StringBuilder many = new StringBuilder();
    for (int i = 0; i <= Extras.MAX_ENTRIES; i++) {
      many.append(i == 0 ? "" : ",").append("\"p").append(i).append("\":{\"at\":0,\"gradient\":1}");
    }
    for (String hostile : List.of(
        gradient.replace("\"extra\":{\"lambdaC\"", "\"extra\":{" + many + ",\"lambdaC\""),
        gradient.replace("\"lambdaC\"", "\"" + "x".repeat(10_000) + "\""),
        gradient.replace("{\"at\":0.0,\"gradient\":1.0}", "null"))) {
      assertThrows(MalformedEventException.class,
          () -> EventCodec.decode(hostile.getBytes(StandardCharsets.UTF_8), HyperGradient.class),
          hostile.length() > 200 ? hostile.substring(0, 200) : hostile);
    }
    // a run may declare only the extra meta-parameters this build knows
    RunConfig config = new RunConfig(RunConfig.DatasetKind.SYNTHETIC, "", RunConfig.Mode.FORECAST,
        7, 1, 100, 0, "logreg", "logreg", RunConfig.OptimizerKind.SGD, 0.1,
        RunConfig.OptimizerKind.SGD, 0.5, 1.0, 10, 2, B, false, 50, 0, false)
        .withExtraMeta(java.util.Map.of("lambdaC", 0.0));
    String started = EventCodec.encodeToString(
        new RunStarted(V, "r", config, 5L, new Provenance("dev", "17", "host", "cpu")));
    MalformedEventException unknown = assertThrows(MalformedEventException.class,
        () -> EventCodec.decode(started.replace("\"lambdaC\"", "\"surprise\"")
            .getBytes(StandardCharsets.UTF_8), RunStarted.class));
    assertTrue(unknown.getMessage().contains("surprise"), unknown.getMessage());
  }

  @Test
  void aChosenStructureSurvivesARoundTripOnItsOwnTopic() {
    StructureChosen chosen = new StructureChosen(V, "r", 937, List.of(100, 100),
        List.of(2.5, -1.3, -2.1, -1.9, 1.9));
    assertEquals(chosen, EventCodec.decode(EventCodec.encode(chosen), Event.class));
    assertEquals(chosen, EventCodec.decode(EventCodec.encode(chosen), StructureChosen.class));
    assertEquals(Topics.defaults().structure(), Topics.defaults().channelOf(chosen));
    assertEquals("distilflux.structure", Topics.defaults().structure().topic());
    assertTrue(Topics.defaults().all().contains(Topics.defaults().structure()));
    StructureChosen bare = new StructureChosen(V, "r", 0, List.of(10), null);
    assertEquals(List.of(), EventCodec.decode(EventCodec.encode(bare), StructureChosen.class)
        .structureLogits());
  }

  @Test
  void hostileStructureRecordsAreRejectedWithAOneLineReason() {
    String json = EventCodec.encodeToString(new StructureChosen(V, "r", 3, List.of(50),
        List.of(0.5, -0.5)));
    StringBuilder manyLayers = new StringBuilder("[1");
    for (int i = 0; i < StructureChosen.MAX_LAYERS; i++) {
      manyLayers.append(",1");
    }
    manyLayers.append(']');
    for (String hostile : List.of(
        json.replace("[50]", "[]"),
        json.replace("[50]", manyLayers.toString()),
        json.replace("[50]", "[0]"),
        json.replace("[50]", "[" + (StructureChosen.MAX_UNITS + 1) + "]"),
        json.replace("[50]", "[null]"),
        json.replace("\"step\":3", "\"step\":-1"),
        json.replace("[0.5,-0.5]", "[0.5,-0.5,1,2,3,4,5]"),
        json.replace("[0.5,-0.5]", "[\"NaN\",-0.5]"),
        json.replace("[0.5,-0.5]", "[null,-0.5]"),
        json.replace(",\"hiddenSizes\":[50]", ""))) {
      MalformedEventException e = assertThrows(MalformedEventException.class,
          () -> EventCodec.decode(hostile.getBytes(StandardCharsets.UTF_8),
              StructureChosen.class), hostile);
      assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void runEventsDecodeThroughTheirSharedTopicType() {
    for (Event event : everyEventType()) {
      if (event instanceof RunEvent) {
        assertEquals(event, EventCodec.decode(EventCodec.encode(event), RunEvent.class));
      }
    }
  }

  @Test
  void malformedRecordsAreRejectedWithAOneLineReason() {
    String step = EventCodec.encodeToString(everyEventType().get(0));
    assertReason("not JSON", "{not json");
    assertReason("not a JSON object", "[1,2]");
    String version = "\"schemaVersion\":" + V;
    assertReason("missing or non-integer schemaVersion", step.replace(version + ",", ""));
    assertReason("unsupported schemaVersion " + (V + 1),
        step.replace(version, "\"schemaVersion\":" + (V + 1)));
    assertReason("Missing", step.replace(",\"trainLoss\":1.5", ""));
    assertReason("expected TrainingStep but got MetaParams",
        EventCodec.encodeToString(everyEventType().get(2)));
    assertReason("runId", step.replace("\"runId\":\"r\"", "\"runId\":\"\""));
    assertReason("empty record", "");
  }

  private static void assertReason(String expected, String json) {
    MalformedEventException e = assertThrows(MalformedEventException.class,
        () -> EventCodec.decode(json.getBytes(StandardCharsets.UTF_8), TrainingStep.class));
    assertTrue(e.getMessage().contains(expected), () -> e.getMessage() + " lacks " + expected);
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
  }

  @Test
  void metaValuesOfTheSigmoidMapStayInTheirBounds() {
    MetaValues low = new Unconstrained(-50, -50, -50).toValues();
    MetaValues high = new Unconstrained(50, 50, 50).toValues();
    assertTrue(low.lambda1() >= 0 && high.lambda1() <= 1);
    assertEquals(Unconstrained.T_MIN, low.temperature(), 1e-9);
    assertEquals(Unconstrained.T_MAX, high.temperature(), 1e-9);
    Unconstrained back = Unconstrained.fromValues(B.toValues());
    assertEquals(B.b1(), back.b1(), 1e-9);
    assertEquals(B.b2(), back.b2(), 1e-9);
    assertEquals(B.b3(), back.b3(), 1e-9);
  }
}
