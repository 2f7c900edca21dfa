package io.distilflux.trainer.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code distilflux} command: the main job ({@code run}) and each service on its own.
 * Errors in flags, files or combinations end with one line on standard error and a non-zero
 * exit code (2 for bad input, 1 for a failed run).
 */
@Command(
    name = "distilflux",
    mixinStandardHelpOptions = true,
    versionProvider = Distilflux.Version.class,
    description = "Knowledge distillation with meta-parameters (λ1, λ2, T) tuned online over Kafka.",
    subcommands = {
      RunCommand.class,
      ExperimentCommand.class,
      ReportCommand.class,
      TeacherCommand.class,
      DownloadCommand.class,
      MetaOptimizerCommand.class,
      MonitorCommand.class,
      BrokerCommand.class,
      RunsCommand.class,
      ExportCommand.class,
      ImportCommand.class,
      ReplayCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Distilflux implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Entry point. */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code (for tests: no {@code System.exit}). */
  public static int execute(String... args) {
    CommandLine commandLine = new CommandLine(new Distilflux());
    commandLine.setExecutionExceptionHandler(
        (e, cmd, parsed) -> failed(e, cmd.getErr(), jvmStopping()));
    commandLine.setParameterExceptionHandler(
        (e, parsedArgs) -> {
          e.getCommandLine().getErr().println("distilflux: " + message(e));
          return 2;
        });
    return commandLine.execute(args);
  }

  /**
   * Exit code of a command stopped by a signal. The JVM, already exiting, keeps the signal's own
   * status (130 after SIGINT, 143 after SIGTERM); this is what the command would report.
   */
  static final int STOPPED = 130;

  /**
   * Reports a command's failure in one line and returns its exit code: 2 for bad input, 1 for a
   * failed run. A failure while the JVM is being stopped (Ctrl-C, SIGTERM) is the stop's doing,
   * such as a run publishing to a bus the stop has just closed: the stop's own report says what
   * happened, so nothing more is printed.
   */
  static int failed(Exception e, PrintWriter err, boolean jvmStopping) {
    if (jvmStopping) {
      return STOPPED;
    }
    err.println("distilflux: " + oneLine(e));
    return e instanceof IllegalArgumentException || e instanceof java.io.UncheckedIOException
        || e instanceof io.distilflux.trainer.data.DataFileException
        || e instanceof io.distilflux.pipeline.record.RunArchive.ArchiveException ? 2 : 1;
  }

  /** Whether the JVM is running its shutdown hooks: it then takes no new hook. */
  static boolean jvmStopping() {
    Thread probe = new Thread(() -> { });
    try {
      Runtime.getRuntime().addShutdownHook(probe);
    } catch (IllegalStateException shuttingDown) {
      return true;
    }
    Runtime.getRuntime().removeShutdownHook(probe);
    return false;
  }

  /**
   * The one line that reports bad input: a bad value from the {@code --config} file names the
   * file and the setting, a bad flag points to the command's help.
   */
  static String message(CommandLine.ParameterException e) {
    return ConfigFileDefaults.explain(e).orElseGet(() -> oneLine(e)
        + " (see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
  }

  static String oneLine(Throwable e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return message.lines().findFirst().orElse(message).trim();
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Distilflux.class.getPackage().getImplementationVersion();
      return new String[] {"distilflux " + (v == null ? "dev" : v)};
    }
  }
}
