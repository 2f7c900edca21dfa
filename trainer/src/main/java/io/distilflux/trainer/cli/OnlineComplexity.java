package io.distilflux.trainer.cli;

import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.trainer.complexity.ComplexityExperiment;
import io.distilflux.trainer.complexity.ComplexityProtocol;
import io.distilflux.trainer.complexity.ComplexityResult;
import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.OnlineResult;
import io.distilflux.trainer.complexity.Optimizer;
import io.distilflux.trainer.complexity.Variant;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The online variant of {@code experiment complexity} (docs/complexity.md §3): one hypergradient
 * run of the distillation pipeline, as {@code run --complexity-weight} makes it (in-memory
 * transport, the meta-optimizer and the monitor in this process), whose variational student
 * {@code mnist-mlp-small} (784→100→10) is then evaluated as the direct models are, at the λ_c of
 * its last step.
 *
 * @param dataDir the MNIST folder
 * @param output where the run writes its results and caches its teacher
 * @param startLambda λ_c at the first step, strictly between 0.1 and 100
 * @param epochs the student's epochs
 * @param teacherEpochs the logistic-regression teacher's epochs
 */
record OnlineComplexity(Path dataDir, Path output, double startLambda, int epochs,
    int teacherEpochs) {

  /** Hidden units of the pipeline's {@code mnist-mlp-small} student. */
  static final int STUDENT_HIDDEN = 100;

  /**
   * Trains the run and evaluates its student on the experiment's {@code train} (𝔏) and
   * {@code test} (accuracy, pruning curve) examples; the run's own split holds the first
   * {@code train.count()} training images, a sixth of them for validation.
   */
  OnlineResult run(ComplexityProtocol protocol, Examples train, Examples test, PrintStream out,
      PrintStream log) {
    int validation = Math.max(1, train.count() / 6);
    Optimizer optimizer = protocol.optimizer();
    Map<String, String> flags = new LinkedHashMap<>();
    flags.put("dataset", "mnist");
    flags.put("data-dir", dataDir.toString());
    flags.put("modes", "hypergradient");
    flags.put("seeds", "1");
    flags.put("first-seed", Long.toString(protocol.seed()));
    flags.put("epochs", Integer.toString(epochs));
    // The pipeline's SGD has no momentum: the online student takes the protocol's rule and rate.
    flags.put("optimizer", optimizer.kind().name().toLowerCase(Locale.ROOT));
    flags.put("lr", Double.toString(optimizer.learningRate()));
    flags.put("batch-size", Integer.toString(protocol.batchSize()));
    flags.put("teacher", "logreg");
    flags.put("teacher-epochs", Integer.toString(teacherEpochs));
    flags.put("student", "mnist-mlp-small");
    flags.put("transport", "direct");
    flags.put("complexity-weight", Double.toString(startLambda));
    flags.put("output", output.toString());
    flags.put("metrics-port", "0");
    flags.put("final-scrape-wait", "0");
    flags.put("train-size", Integer.toString(train.count() - validation));
    flags.put("validation-size", Integer.toString(validation));
    flags.put("test-size", Integer.toString(test.count()));
    ExperimentSpec spec = RunOptions.parse(flags);
    AtomicReference<ExperimentRunner.FinishedRun> finished = new AtomicReference<>();
    long start = System.nanoTime();
    ExperimentRunner.Results results = new ExperimentRunner(spec, out, log, List.of(),
        java.util.Optional.empty(), finished::set).run();
    double seconds = (System.nanoTime() - start) / 1e9;
    ExperimentRunner.FinishedRun run = finished.get();
    if (!results.allSucceeded() || run == null) {
      throw new IllegalStateException("the online run failed: " + results.runs().stream()
          .map(r -> String.valueOf(r.finished().failure())).toList());
    }
    double endLambda = run.lastStep().extra().get(ExtraParameter.COMPLEXITY.jsonName());
    double[] theta = run.run().variationalParameters();
    int p = theta.length / 2;
    long updates = run.finished().steps() * theta.length;
    ComplexityProtocol evaluation = new ComplexityProtocol(protocol.lambdas(), STUDENT_HIDDEN,
        protocol.directEpochs(), protocol.hyperEpochs(), protocol.fineTuneEpochs(),
        protocol.samplesPerBatch(), protocol.batchSize(), optimizer, protocol.priorVariance(),
        protocol.input(), protocol.variants(), protocol.seed());
    ComplexityResult atEnd = new ComplexityExperiment(evaluation, train.width(), train.classes(),
        out).evaluate(Variant.ONLINE, endLambda, Arrays.copyOf(theta, p),
        Arrays.copyOfRange(theta, p, 2 * p), updates, seconds, train, test);
    double pipelineAccuracy = run.finished().finalEvaluation() == null ? Double.NaN
        : run.finished().finalEvaluation().testAccuracy();
    return new OnlineResult(startLambda, atEnd, run.finished().steps(), pipelineAccuracy);
  }
}
