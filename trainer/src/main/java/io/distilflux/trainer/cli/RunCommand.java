package io.distilflux.trainer.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code distilflux run}: trains students in one or several modes and prints the results table. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Trains the student in the given modes and seeds, with the meta-optimizer and the monitor",
      "in this process, and prints test accuracy per mode next to the paper's Table 1.",
      "With no flags: the synthetic experiment in all five modes, 5 seeds, embedded Kafka."
    },
    sortOptions = false)
final class RunCommand implements Callable<Integer> {

  @Mixin RunOptions options;

  @Override
  public Integer call() throws Exception {
    ExperimentSpec spec = options.spec();
    String protocol = options.settings().get("protocol");
    if (protocol != null) {
      System.err.println("protocol " + protocol.trim() + ": " + spec.describe());
    }
    return new ExperimentRunner(spec, System.out, System.err).run().allSucceeded() ? 0 : 1;
  }
}
