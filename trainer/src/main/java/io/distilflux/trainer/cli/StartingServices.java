package io.distilflux.trainer.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A {@link ServiceStack} starting on a thread of its own while the caller loads the data and
 * trains the teachers: an embedded broker takes seconds to start, the data and a teacher about
 * as long, and neither needs the other. The meta-optimizer starts as soon as the caller says how
 * it reads ({@link #ready}), right after the monitor.
 */
final class StartingServices {

  private final CompletableFuture<Duration> metaBatchWait = new CompletableFuture<>();
  private final CompletableFuture<ServiceStack> stack = new CompletableFuture<>();

  private StartingServices() {}

  /** Starts the services of {@code spec} in the background; their lines go to {@code log}. */
  static StartingServices begin(ExperimentSpec spec, PrintStream log) {
    StartingServices starting = new StartingServices();
    Thread thread = new Thread(() -> starting.start(spec, log), "distilflux-start-services");
    thread.setDaemon(true);
    thread.start();
    return starting;
  }

  private void start(ExperimentSpec spec, PrintStream log) {
    ServiceStack started;
    try {
      started = ServiceStack.start(spec, log);
    } catch (Throwable e) {
      stack.completeExceptionally(e);
      return;
    }
    try {
      started.startMetaOptimizer(spec, metaBatchWait.join());
      stack.complete(started);
    } catch (Throwable e) {
      started.close();
      stack.completeExceptionally(e);
    }
  }

  /**
   * Lets the meta-optimizer start, reading hypergradients in batches of up to {@code batchWait}
   * (see {@link ExperimentSpec#metaPathBatchWait}); the first call decides.
   */
  StartingServices metaOptimizerReadsIn(Duration batchWait) {
    metaBatchWait.complete(batchWait);
    return this;
  }

  /** Whether the services are still starting: {@link #ready} would wait. */
  boolean isStarting() {
    return !stack.isDone();
  }

  /**
   * Waits for the services, the meta-optimizer reading hypergradients in batches of up to {@code
   * batchWait} unless {@link #metaOptimizerReadsIn} said otherwise before.
   *
   * @throws RuntimeException what stopped the services from starting, as thrown there
   */
  ServiceStack ready(Duration batchWait) {
    metaBatchWait.complete(batchWait);
    try {
      return stack.join();
    } catch (CompletionException e) {
      throw rethrown(e.getCause());
    }
  }

  /**
   * For a caller that cannot go on (its data failed to load): waits until the services have
   * started or failed to, and closes what started, so nothing is left running behind the error.
   */
  void abandon() {
    metaBatchWait.completeExceptionally(new CancellationException("the runs did not start"));
    try {
      stack.join().close();
    } catch (CompletionException | CancellationException e) {
      // the services did not start: nothing to close, and the caller's error is the one to tell
    }
  }

  private static RuntimeException rethrown(Throwable cause) {
    if (cause instanceof RuntimeException runtime) {
      return runtime;
    }
    if (cause instanceof Error error) {
      throw error;
    }
    return new IllegalStateException(cause);
  }
}
