package io.distilflux.trainer.cli;

import io.distilflux.trainer.complexity.Examples;
import io.distilflux.trainer.structure.StructureExperiment;
import io.distilflux.trainer.structure.StructureProtocol;
import io.distilflux.trainer.structure.StructureReport;
import io.distilflux.trainer.structure.StructureResults;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code distilflux experiment structure}: choosing the student's structure on MNIST
 * (docs/structure.md): pruning curves by rule (protocol 002-A), smaller dense students,
 * freezing by gradient-noise variance (protocol 002-B), and a supernet search whose discrete
 * student is distilled (protocol 003), and the enumeration of structures by repelled searches.
 */
@Command(
    name = "structure",
    mixinStandardHelpOptions = true,
    description = {
      "Choosing the student's structure on MNIST (docs/structure.md): pruning curves of a variational network by random, OBD, variational and Belsley pruning, smaller dense students cut out of it, freezing by gradient-noise variance against random and highest-variance freezing, and a supernet over widths and depths searched by the hypergradient of its Gumbel-softmax structure logits, whose argmax student is distilled from it, and an enumeration of structures by searches in sequence, each repelled from the structures found before; on request, variational searches of the supernet, one per weight c_prior of the prior's KL.",
      "Writes OUTPUT/structure.md, OUTPUT/pruning.csv, OUTPUT/freezing.csv, OUTPUT/search.csv, OUTPUT/enumeration.csv, OUTPUT/prior.csv, OUTPUT/pruning-curves.png and OUTPUT/freezing.png."
    },
    sortOptions = false)
final class StructureCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin MnistExperimentData data = new MnistExperimentData();

  @Option(names = "--output", paramLabel = "DIR", defaultValue = "experiments/structure",
      description = "Report folder (default ${DEFAULT-VALUE}).")
  Path output;

  @Option(names = "--protocols", paramLabel = "LIST", split = ",",
      defaultValue = "pruning,freezing,search,enumeration",
      description = "Protocols run: pruning (002-A), freezing (002-B), search (003), enumeration (003's sequential searches repelled from the structures found), prior (003's variational searches, one per --prior-weights; not in the default) (default ${DEFAULT-VALUE}).")
  List<String> protocols;

  @Bounds(min = 1, max = 10_000)
  @Option(names = "--hidden", paramLabel = "N", defaultValue = "100",
      description = "Hidden units of the 784-N-10 networks (default ${DEFAULT-VALUE}).")
  int hidden;

  @Bounds(min = 1, max = 1000)
  @Option(names = "--epochs", paramLabel = "N", defaultValue = "3",
      description = "Epochs of the variational network before pruning (default ${DEFAULT-VALUE}).")
  int epochs;

  @Bounds(min = 0, minExclusive = true)
  @Option(names = "--lambda", paramLabel = "L", defaultValue = "1",
      description = "Complexity weight λ of the variational network (default ${DEFAULT-VALUE}).")
  double lambda;

  @Option(names = "--fractions", paramLabel = "LIST", split = ",",
      defaultValue = "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.95,0.99",
      description = "Fractions of weights pruned, each in [0, 1] (default ${DEFAULT-VALUE}).")
  List<Double> fractions;

  @Bounds(min = 1, max = 100)
  @Option(names = "--random-seeds", paramLabel = "N", defaultValue = "3",
      description = "Random pruning orders averaged (default ${DEFAULT-VALUE}).")
  int randomSeeds;

  @Bounds(min = 1, max = 60_000)
  @Option(names = "--score-examples", paramLabel = "N", defaultValue = "5000",
      description = "Training images behind the OBD Hessian diagonal and the Belsley precision (default ${DEFAULT-VALUE}).")
  int scoreExamples;

  @Option(names = "--units-kept", paramLabel = "LIST", split = ",", defaultValue = "50,25,10",
      description = "Hidden widths of the smaller dense students, each in 1..hidden (default ${DEFAULT-VALUE}).")
  List<Integer> unitsKept;

  @Bounds(min = 1, max = 1000)
  @Option(names = "--warmup-epochs", paramLabel = "N", defaultValue = "1",
      description = "Epochs before the gradient-noise variances are read, t_0 (default ${DEFAULT-VALUE}).")
  int warmupEpochs;

  @Bounds(min = 1, max = 1000)
  @Option(names = "--freeze-epochs", paramLabel = "N", defaultValue = "2",
      description = "Epochs trained with parameters frozen (default ${DEFAULT-VALUE}).")
  int freezeEpochs;

  @Option(names = "--frozen", paramLabel = "LIST", split = ",", defaultValue = "0.5,0.75,0.9",
      description = "Shares of parameters frozen, each in [0, 1] (default ${DEFAULT-VALUE}).")
  List<Double> frozen;

  @Bounds(min = 1, max = 100)
  @Option(names = "--freeze-seeds", paramLabel = "N", defaultValue = "3",
      description = "Seeds the freezing protocol is repeated and averaged over (default ${DEFAULT-VALUE}).")
  int freezeSeeds;

  @Bounds(min = 1, max = 1000)
  @Option(names = "--search-epochs", paramLabel = "N", defaultValue = "2",
      description = "Epochs of the supernet search (default ${DEFAULT-VALUE}).")
  int searchEpochs;

  @Bounds(min = 1, max = 59_999)
  @Option(names = "--validation", paramLabel = "N", defaultValue = "5000",
      description = "Training images held out to steer the supernet's structure logits, the last N (default ${DEFAULT-VALUE}).")
  int validation;

  @Bounds(min = 1, max = 1000)
  @Option(names = "--distil-epochs", paramLabel = "N", defaultValue = "1",
      description = "Epochs the chosen discrete student is distilled from the supernet (default ${DEFAULT-VALUE}).")
  int distilEpochs;

  @Bounds(min = 1, max = 100)
  @Option(names = "--enumeration-runs", paramLabel = "N", defaultValue = "6",
      description = "Sequential supernet searches of the enumeration, each repelled from the structures of the searches before it (default ${DEFAULT-VALUE}).")
  int enumerationRuns;

  @Bounds(min = 1, max = 60_000)
  @Option(names = "--enumeration-images", paramLabel = "N", defaultValue = "20000",
      description = "Training images each enumeration search trains its weights on for one epoch, the first N of those not held out by --validation (default ${DEFAULT-VALUE}).")
  int enumerationImages;

  @Option(names = "--prior-weights", paramLabel = "LIST", split = ",", defaultValue = "0.1,1,10",
      description = "The prior protocol's c_prior values, the weight of the variational weights' KL in the structure logits' objective, each finite and >= 0; each search lasts --search-epochs (default ${DEFAULT-VALUE}).")
  List<Double> priorWeights;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
      description = "Seed of initialisation, shuffles, noise, probes and random orders (default ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws IOException {
    OptionBounds.check(this, name -> Optional.empty());
    data.check();
    for (String p : protocols) {
      if (!List.of("pruning", "freezing", "search", "enumeration", "prior").contains(p)) {
        throw new IllegalArgumentException("--protocols takes pruning, freezing, search, "
            + "enumeration and prior, got '" + p + "'");
      }
    }
    StructureProtocol protocol = new StructureProtocol(protocols.contains("pruning"),
        protocols.contains("freezing"), protocols.contains("search"),
        protocols.contains("enumeration"), protocols.contains("prior"), hidden, epochs, lambda,
        fractions.stream().mapToDouble(Double::doubleValue).toArray(), randomSeeds,
        scoreExamples, unitsKept.stream().mapToInt(Integer::intValue).toArray(), warmupEpochs,
        freezeEpochs, frozen.stream().mapToDouble(Double::doubleValue).toArray(), freezeSeeds,
        searchEpochs, validation, distilEpochs, enumerationRuns, enumerationImages,
        priorWeights.stream().mapToDouble(Double::doubleValue).toArray(), seed);
    MnistExperimentData.prepareOutput(output);
    MnistExperimentData.Loaded loaded = data.load();
    Examples train = loaded.train();
    Examples test = loaded.test();
    String description = loaded.description();
    System.out.println("experiment structure: " + description);
    long start = System.nanoTime();
    StructureResults results = new StructureExperiment(protocol, System.out).run(train, test);
    double seconds = (System.nanoTime() - start) / 1e9;
    // the parse result of the root command: its original arguments start at "experiment"
    String command = "distilflux "
        + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    StructureReport.write(output, protocol, results, description, command.trim(), seconds);
    for (StructureReport.Check c : StructureReport.checks(results)) {
      System.out.println((c.passed() ? "holds:    " : "FAILS:    ") + c.criterion() + " ("
          + c.detail() + ")");
    }
    System.out.printf(Locale.ROOT, "report: %s (%.0f s)%n",
        output.resolve(StructureReport.PAGE), seconds);
    return 0;
  }
}
