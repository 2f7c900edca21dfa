package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.Mode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The flags of {@code run} and {@code experiment}, typed, with the file and the protocol under them. */
class RunOptionsTest {

  @Test
  void noSettingsGiveTheSyntheticExperimentInAllFiveModes() {
    ExperimentSpec spec = RunOptions.parse(Map.of());
    assertEquals(RunConfig.DatasetKind.SYNTHETIC, spec.base().dataset());
    assertEquals(List.of(Mode.values()), spec.modes());
    assertEquals(5, spec.seeds().size());
    assertEquals(20_000, spec.base().steps());
    assertEquals(10, spec.base().miniEpoch());
    assertEquals(2, spec.base().forecastEvery());
    assertEquals(ExperimentSpec.Transport.KAFKA, spec.transport());
    assertTrue(spec.bootstrapServers().isEmpty());
  }

  @Test
  void computeThreadsComeFromTheFlagOrFromTheCoresLeftToEachRun() {
    assertEquals(3, RunOptions.parse(Map.of("compute-threads", "3")).computeThreads(4));
    assertMessage("--compute-threads must be in [1, 256], got 0", Map.of("compute-threads", "0"));
    int cores = Runtime.getRuntime().availableProcessors();
    ExperimentSpec kafka = RunOptions.parse(Map.of());
    ExperimentSpec direct = RunOptions.parse(Map.of("transport", "direct"));
    assertEquals(cores, kafka.computeThreads(1), "the same cores with either transport");
    assertEquals(cores, direct.computeThreads(1));
    assertEquals(Math.max(1, cores / 2), direct.computeThreads(2), "cores shared between runs");
    assertEquals(1, direct.computeThreads(cores + 1), "at least one thread");
  }

  @Test
  void theMetaPathReadsInBatchesOnlySmallStudentsRecordsAndOnlyWhenNoRunWaitsOnOne(
      @TempDir java.nio.file.Path dir) {
    long small = ExperimentSpec.LATENCY_BOUND_MULTIPLY_ADDS - 1;
    long large = ExperimentSpec.LATENCY_BOUND_MULTIPLY_ADDS;
    java.time.Duration none = java.time.Duration.ZERO;
    ExperimentSpec byDefault = RunOptions.parse(Map.of());
    assertEquals(ExperimentSpec.AHEAD_BATCH_WAIT, byDefault.metaPathBatchWait(small),
        "small students' runs go ahead by default");
    assertEquals(none, byDefault.metaPathBatchWait(large), "a large student's records are few");
    assertEquals(none, RunOptions.parse(Map.of("run-ahead", "0")).metaPathBatchWait(small));
    assertEquals(none, RunOptions.parse(Map.of("run-ahead",
        Integer.toString(ExperimentSpec.MIN_RUN_AHEAD_FOR_BATCHES - 1))).metaPathBatchWait(small));
    assertEquals(ExperimentSpec.AHEAD_BATCH_WAIT, RunOptions.parse(Map.of("run-ahead",
        Integer.toString(ExperimentSpec.MIN_RUN_AHEAD_FOR_BATCHES))).metaPathBatchWait(small));
    assertEquals(none, RunOptions.parse(Map.of("max-staleness", "2")).metaPathBatchWait(small));
    assertEquals(none, RunOptions.parse(Map.of("resume", dir.toString())).metaPathBatchWait(small),
        "a resumed Adam run waits for each update");
  }

  @Test
  void parallelRunsComeFromTheFlagOrFromHowMuchAStepComputes() {
    int cores = Runtime.getRuntime().availableProcessors();
    ExperimentSpec chosen = RunOptions.parse(Map.of());
    long small = ExperimentSpec.LATENCY_BOUND_MULTIPLY_ADDS - 1;
    long large = ExperimentSpec.LATENCY_BOUND_MULTIPLY_ADDS;
    assertEquals(25, chosen.parallelRuns(25, small), "latency-bound: every run in flight");
    assertEquals(ExperimentSpec.MAX_DEFAULT_PARALLEL, chosen.parallelRuns(1000, small));
    assertEquals(cores, chosen.parallelRuns(25, large), "compute-bound: one run a core");
    assertEquals(3, RunOptions.parse(Map.of("parallel", "3")).parallelRuns(25, small));
    assertMessage("--parallel must be in [1, 256], got 0", Map.of("parallel", "0"));
    assertEquals(Math.max(1, cores / 2), ExperimentSpec.computePermits(2), "cores shared out");
    assertEquals(1, ExperimentSpec.computePermits(cores + 1), "at least one permit");
  }

  @Test
  void paperProtocolResolvesTheNotebooksSettingsAndExplicitFlagsOverrideThem() {
    ExperimentSpec spec = RunOptions.parse(Map.of("protocol", "paper"));
    RunConfig base = spec.base();
    assertEquals(42L, base.dataSeed());
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), spec.seeds());
    assertEquals(RunConfig.OptimizerKind.ADAM, base.innerOptimizer());
    assertEquals(1e-3, base.innerLearningRate());
    assertTrue(base.validationIsTest());
    assertEquals(10, base.miniEpoch());
    assertEquals(2, base.forecastEvery());
    assertEquals(RunConfig.Divergence.REVERSE, base.divergence());
    assertEquals(RunConfig.OptimizerKind.NORMALIZED, base.metaOptimizer());
    assertEquals(10, base.metaLearningRate());
    assertEquals(20_000, base.steps());
    assertTrue(spec.describe().contains("data seed 42"), spec.describe());

    ExperimentSpec overridden = RunOptions.parse(
        Map.of("protocol", "paper", "seeds", "3", "divergence", "forward", "data-seed", "43"));
    assertEquals(3, overridden.seeds().size());
    assertEquals(RunConfig.Divergence.FORWARD, overridden.base().divergence());
    assertEquals(43L, overridden.base().dataSeed());
    assertMessage("Invalid value for option '--protocol': unknown value 'cifar' (one of paper) (see 'run --help')", Map.of("protocol", "cifar"));
  }

  @Test
  void everyProtocolSettingIsAFlagOfRun() {
    java.util.Set<String> flags = new java.util.HashSet<>();
    new CommandLine(new Distilflux()).getSubcommands().get("run").getCommandSpec()
        .options().forEach(option -> flags.add(option.longestName()));
    for (Protocol protocol : Protocol.values()) {
      for (String key : protocol.settings().keySet()) {
        assertTrue(flags.contains("--" + key), protocol + " sets --" + key + ", which run lacks");
      }
    }
  }

  @Test
  void withoutDataSeedEachSeedDrawsItsDataAndTheDivergenceIsTheDatasetsDefault() {
    ExperimentSpec spec = RunOptions.parse(Map.of());
    assertEquals(null, spec.base().dataSeed());
    assertEquals(RunConfig.Divergence.REVERSE, spec.base().divergence());
    assertEquals(RunConfig.Divergence.FORWARD,
        RunOptions.parse(Map.of("dataset", "mnist")).base().divergence());
    assertEquals(RunConfig.Divergence.FORWARD,
        RunOptions.parse(Map.of("divergence", "forward")).base().divergence());
  }

  @Test
  void dataSeedRunsStartFromTheNotebooksRestartOfTheirSeed() {
    ExperimentSpec spec = RunOptions.parse(Map.of("data-seed", "42", "first-seed", "1",
        "validation-is-test", "true"));
    RunConfig restart1 = spec.configFor(Mode.FORECAST, 1, 100);
    // numpy: the second restart's draws after the notebook's data (see SyntheticDataTest)
    assertEquals(0.9843160296466253, restart1.initial().b1());
    assertEquals(-0.006073034188339488, restart1.initial().b2());
    assertEquals(42L, restart1.dataSeed());
    assertEquals(spec.base().divergence(), restart1.divergence());
  }

  @Test
  void dataSeedAndMetaRulesAreCheckedWithTheSettingNamed() {
    assertMessage("--data-seed applies to the synthetic data only",
        Map.of("dataset", "mnist", "data-seed", "1"));
    assertMessage("--data-seed must be in [0, 4294967295], got -1",
        Map.of("data-seed", "-1"));
    assertMessage("--first-seed with --data-seed the seeds are restarts 0..1000000, got -2..2",
        Map.of("data-seed", "1", "first-seed", "-2"));
    assertMessage("--optimizer 'normalized' is a meta-optimizer rule (the student's optimizer is"
        + " sgd or adam)", Map.of("optimizer", "normalized"));
    assertMessage("Invalid value for option '--divergence': unknown value 'js' (one of forward, reverse) (see 'run --help')",
        Map.of("divergence", "js"));
  }

  @Test
  void modesAreParsedByTheirCommandLineNames() {
    ExperimentSpec spec = RunOptions.parse(Map.of("modes", "forecast, no-distillation"));
    assertEquals(List.of(Mode.FORECAST, Mode.NO_DISTILLATION), spec.modes());
  }

  @Test
  void outOfBoundsValuesAreRejectedWithTheSettingNamed() {
    assertMessage("--mini-epoch must be in [2, 1000000], got 1", Map.of("mini-epoch", "1"));
    assertMessage("--forecast-every must be in [2, 1000000], got 1", Map.of("forecast-every", "1"));
    assertMessage("--lambda2 must be in [0.0, 1.0], got 1.5", Map.of("lambda2", "1.5"));
    assertMessage("--temperature must be in [0.1, 10.0], got 0.05", Map.of("temperature", "0.05"));
    assertMessage("--lr must be > 0.0, got -1.0", Map.of("lr", "-1"));
    assertMessage("Invalid value for option '--seeds': 'five' is not an int (see 'run --help')", Map.of("seeds", "five"));
    assertMessage("Unknown option: '--mini_epoch=3' (see 'run --help')", Map.of("mini_epoch", "3"));
  }

  @Test
  void unknownEnumValuesListTheAllowedOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RunOptions.parse(Map.of("dataset", "imagenet")));
    assertEquals("Invalid value for option '--dataset': unknown value 'imagenet' (one of synthetic,"
        + " cifar10, mnist, csv, npy) (see 'run --help')", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> RunOptions.parse(Map.of("modes", "greedy")));
    assertTrue(e.getMessage().startsWith("Invalid value for option '--modes': unknown mode 'greedy'"),
        e.getMessage());
  }

  @Test
  void theComplexityWeightMakesAVariationalStudentWithLambdaCAsAnExtraMetaParameter() {
    ExperimentSpec spec = RunOptions.parse(Map.of("dataset", "mnist", "complexity-weight", "2"));
    double b4 = spec.base().extraMeta().get("lambdaC");
    assertEquals(2.0, io.distilflux.pipeline.event.ExtraParameter.COMPLEXITY.value(b4), 1e-12);
    assertEquals(0, spec.longRun().checkpointEvery(), "a variational student takes no checkpoints");
    assertTrue(RunOptions.parse(Map.of("dataset", "mnist")).base().extraMeta().isEmpty());
    assertMessage("--complexity-weight must lie strictly between 0.1 and 100, got 100.0",
        Map.of("complexity-weight", "100"));
    assertMessage("--complexity-weight cannot be combined with --checkpoint-every or --resume: a"
        + " variational student is not checkpointed",
        Map.of("complexity-weight", "1", "checkpoint-every", "10"));
  }

  @Test
  void theStructureSearchDeclaresTheSupernetsFiveLogitsAsExtraMetaParameters() {
    ExperimentSpec spec = RunOptions.parse(Map.of("dataset", "mnist", "structure-search", "true"));
    assertEquals(Map.of("logAlpha0", 0.0, "logAlpha1", 0.0, "logAlpha2", 0.0, "logAlpha3", 0.0,
        "logAlpha4", 0.0), spec.base().extraMeta());
    assertEquals(0, spec.longRun().checkpointEvery(), "a supernet student takes no checkpoints");
    assertMessage("--structure-search cannot be combined with --complexity-weight",
        Map.of("structure-search", "true", "complexity-weight", "1"));
    assertMessage("--structure-search cannot be combined with --checkpoint-every or --resume: a"
        + " supernet student is not checkpointed",
        Map.of("structure-search", "true", "checkpoint-every", "10"));
  }

  @Test
  void impossibleCombinationsAreRejected() {
    assertMessage("--services external needs --bootstrap-servers: the services must reach the same cluster",
        Map.of("services", "external"));
    assertMessage("Invalid value for option '--services': unknown value 'elsewhere' (one of in-process,"
        + " external) (see 'run --help')",
        Map.of("services", "elsewhere"));
    assertMessage("--bootstrap-servers cannot be combined with --transport direct",
        Map.of("bootstrap-servers", "localhost:9092", "transport", "direct"));
    assertMessage("--kafka-dir is for the embedded broker; it cannot be combined with --bootstrap-servers",
        Map.of("bootstrap-servers", "localhost:9092", "kafka-dir", "k"));
    assertMessage("--bootstrap-servers expects host:port[,host:port…], got 'localhost'",
        Map.of("bootstrap-servers", "localhost"));
  }

  @Test
  void unknownArchitecturesAreRejectedBeforeAnythingStarts() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RunOptions.parse(Map.of("teacher", "resnet")));
    assertTrue(e.getMessage().startsWith("--teacher unknown architecture 'resnet' (one of "),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> RunOptions.parse(Map.of("dataset", "mnist", "student", "logreg-x")));
    assertTrue(e.getMessage().startsWith("--student unknown architecture 'logreg-x'"),
        e.getMessage());
  }

  @Test
  void fixedModeUsesLambda1EqualToOneMinusLambda2() {
    ExperimentSpec spec = RunOptions.parse(Map.of("lambda2", "0.25", "temperature", "2"));
    RunConfig fixed = spec.configFor(Mode.FIXED, 1, 10);
    assertEquals(0.75, fixed.initial().toValues().lambda1(), 1e-9);
    assertEquals(0.25, fixed.initial().toValues().lambda2(), 1e-9);
    assertEquals(2.0, fixed.initial().toValues().temperature(), 1e-9);
  }

  @Test
  void aKafkaConfigIsReadBeforeAnythingStartsAndGoesWithAnExternalCluster(@TempDir java.nio.file.Path dir)
      throws Exception {
    assertMessage("--kafka-config goes with --bootstrap-servers; the embedded broker needs none",
        Map.of("kafka-config", "client.properties"));
    java.nio.file.Path missing = dir.resolve("missing.properties");
    assertMessage("Kafka config file not found: " + missing,
        Map.of("bootstrap-servers", "localhost:9092", "kafka-config", missing.toString()));
    java.nio.file.Path reserved = dir.resolve("reserved.properties");
    java.nio.file.Files.writeString(reserved, "security.protocol=SASL_SSL\nacks=1\n");
    assertMessage("client property acks is set by distilflux itself and cannot be given in a "
        + "Kafka config file",
        Map.of("bootstrap-servers", "localhost:9092", "kafka-config", reserved.toString()));
    java.nio.file.Path good = dir.resolve("client.properties");
    java.nio.file.Files.writeString(good, "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-256\n");
    ExperimentSpec spec = RunOptions.parse(Map.of("bootstrap-servers", "localhost:9092",
        "kafka-config", good.toString(), "meter-retention", "30"));
    assertEquals(java.util.Optional.of(good), spec.kafkaConfig());
    assertEquals(java.time.Duration.ofSeconds(30), spec.meterRetention());
    assertEquals(java.time.Duration.ofMinutes(10), RunOptions.parse(Map.of()).meterRetention());
  }

  private static void assertMessage(String expected, Map<String, String> settings) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RunOptions.parse(settings));
    assertEquals(expected, e.getMessage());
  }
}
