package io.distilflux.trainer.cli;

import io.distilflux.trainer.complexity.ComplexityExperiment;
import io.distilflux.trainer.complexity.ComplexityProtocol;
import io.distilflux.trainer.complexity.ComplexityReport;
import io.distilflux.trainer.complexity.ComplexityResult;
import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.complexity.LambdaInput;
import io.distilflux.trainer.complexity.OnlineResult;
import io.distilflux.trainer.complexity.Optimizer;
import io.distilflux.trainer.complexity.Variant;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code distilflux experiment complexity}: variational students with complexity control on
 * MNIST (docs/complexity.md): direct models, hypernetworks over λ, fine-tunes and the online
 * run ({@link OnlineComplexity}), evaluated beside the paper's Tables 1–3, with pruning curves.
 */
@Command(
    name = "complexity",
    mixinStandardHelpOptions = true,
    description = {
      "Variational students with complexity control on MNIST (docs/complexity.md): direct models, hypernetworks over the complexity weight λ, fine-tunes, and an online run of the distillation pipeline whose λ the meta-optimizer tunes; accuracy, stability, evidence and update counts per λ beside the published tables, and pruning curves.",
      "Writes OUTPUT/complexity.md, OUTPUT/results.csv and OUTPUT/pruning-curves.png."
    },
    sortOptions = false)
final class ComplexityCommand implements Callable<Integer> {

  @Mixin MnistExperimentData data = new MnistExperimentData();

  @Option(names = "--output", paramLabel = "DIR", defaultValue = "experiments/complexity",
      description = "Report folder (default ${DEFAULT-VALUE}).")
  Path output;

  @Option(names = "--lambdas", paramLabel = "LIST", split = ",",
      defaultValue = "0.1,1,10,100",
      description = "Complexity weights λ evaluated, each > 0 (default ${DEFAULT-VALUE}).")
  List<Double> lambdas;

  @Option(names = "--variants", paramLabel = "LIST", split = ",",
      defaultValue = "direct,linear,linear-fine-tuned,online",
      converter = KebabEnumConverter.ComplexityVariants.class,
      description = "Variants trained: direct, direct-one-epoch, low-rank, low-rank-fine-tuned, linear, linear-fine-tuned, online (a variational student of the distillation pipeline whose λ the meta-optimizer tunes, evaluated at its final λ) (default ${DEFAULT-VALUE}).")
  List<Variant> variants;

  @Bounds(min = 1, max = 1000)
  @Option(names = "--direct-epochs", paramLabel = "N", defaultValue = "3",
      description = "Epochs of each direct model (default ${DEFAULT-VALUE}).")
  int directEpochs;

  @Bounds(min = 1, max = 1000)
  @Option(names = "--hyper-epochs", paramLabel = "N", defaultValue = "2",
      description = "Epochs of each hypernetwork (default ${DEFAULT-VALUE}).")
  int hyperEpochs;

  @Bounds(min = 1, max = 1000)
  @Option(names = "--fine-tune-epochs", paramLabel = "N", defaultValue = "1",
      description = "Epochs of each fine-tune at a fixed λ (default ${DEFAULT-VALUE}).")
  int fineTuneEpochs;

  @Bounds(min = 1, max = 100)
  @Option(names = "--lambda-samples", paramLabel = "S", defaultValue = "5",
      description = "λ samples per minibatch of the linear hypernetwork (default ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--hyper-input", paramLabel = "KIND", defaultValue = "raw",
      converter = KebabEnumConverter.LambdaInputs.class,
      description = "How the hypernetworks see λ: raw (λ itself, as in the paper) or log ((log10 λ + 1)/3) (default ${DEFAULT-VALUE}).")
  LambdaInput input;

  @Bounds(min = 1, max = 10_000)
  @Option(names = "--hidden", paramLabel = "N", defaultValue = "100",
      description = "Hidden units of the 784-N-10 network (default ${DEFAULT-VALUE}).")
  int hidden;

  @Bounds(min = 0, minExclusive = true)
  @Option(names = "--prior-variance", paramLabel = "S2", defaultValue = "0.1",
      description = "The prior's variance s_p^2 (default ${DEFAULT-VALUE}).")
  double priorVariance;

  @Option(names = "--optimizer", paramLabel = "KIND", defaultValue = "adam",
      converter = KebabEnumConverter.ComplexityOptimizers.class,
      description = "Step rule of every training: adam (the small protocol's) or sgd (SGD with momentum, the paper's) (default ${DEFAULT-VALUE}).")
  Optimizer.Kind optimizer;

  @Bounds(min = 0, minExclusive = true, max = 1)
  @Option(names = "--learning-rate", paramLabel = "RATE",
      description = "Step size of either optimizer (default 0.003 for adam, 0.01 for sgd).")
  Double learningRate;

  @Bounds(min = 0, max = 1)
  @Option(names = "--momentum", paramLabel = "M", defaultValue = "0.9",
      description = "SGD's momentum, in [0, 1); adam ignores it (default ${DEFAULT-VALUE}).")
  double momentum;

  @Option(names = "--online-start", paramLabel = "λc", defaultValue = "10",
      description = "The online variant's λ at its first step, strictly between 0.1 and 100 (default ${DEFAULT-VALUE}). It trains --direct-epochs epochs with the chosen optimizer (the pipeline's SGD has no momentum), a logistic-regression teacher and the meta-optimizer's MNIST defaults.")
  double onlineStart;

  @Bounds(min = 1, max = 1000)
  @Option(names = "--online-teacher-epochs", paramLabel = "N", defaultValue = "1",
      description = "Epochs of the online variant's logistic-regression teacher (default ${DEFAULT-VALUE}).")
  int onlineTeacherEpochs;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
      description = "Seed of initialisation, shuffles, λ samples and noise (default ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws IOException {
    OptionBounds.check(this, name -> Optional.empty());
    data.check();
    for (double lambda : lambdas) {
      if (!(lambda > 0) || !Double.isFinite(lambda)) {
        throw new IllegalArgumentException("--lambdas needs positive finite values, got "
            + lambda);
      }
    }
    if (momentum >= 1) {
      throw new IllegalArgumentException("--momentum must be below 1, got " + momentum);
    }
    if (!(onlineStart > 0.1 && onlineStart < 100)) {
      throw new IllegalArgumentException("--online-start must lie strictly between 0.1 and 100,"
          + " got " + onlineStart);
    }
    Set<Variant> chosen = variants.isEmpty() ? Set.of() : EnumSet.copyOf(variants);
    ComplexityProtocol protocol = new ComplexityProtocol(lambdas, hidden, directEpochs,
        hyperEpochs, fineTuneEpochs, samples, 128, new Optimizer(optimizer,
        learningRate == null ? optimizer.defaultLearningRate() : learningRate, momentum),
        priorVariance, input, chosen, seed);
    MnistExperimentData.prepareOutput(output);
    MnistExperimentData.Loaded loaded = data.load();
    Examples train = loaded.train();
    Examples test = loaded.test();
    String description = loaded.description();
    System.out.println("experiment complexity: " + description);
    long start = System.nanoTime();
    List<ComplexityResult> results = new ComplexityExperiment(protocol, train.width(),
        train.classes(), System.out).run(train, test);
    Optional<OnlineResult> online = chosen.contains(Variant.ONLINE)
        ? Optional.of(new OnlineComplexity(data.dataDir, output.resolve("online"), onlineStart,
            directEpochs, onlineTeacherEpochs).run(protocol, train, test, System.out, System.err))
        : Optional.empty();
    double seconds = (System.nanoTime() - start) / 1e9;
    ComplexityReport.write(output, protocol, results, online, description, seconds);
    for (ComplexityReport.Check c : ComplexityReport.checks(results)) {
      System.out.println((c.passed() ? "holds:    " : "FAILS:    ") + c.criterion() + " ("
          + c.detail() + ")");
    }
    System.out.printf(Locale.ROOT, "report: %s (%.0f s)%n",
        output.resolve(ComplexityReport.PAGE), seconds);
    return 0;
  }
}
