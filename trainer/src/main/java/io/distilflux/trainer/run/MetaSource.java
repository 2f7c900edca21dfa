package io.distilflux.trainer.run;

import io.distilflux.pipeline.event.HyperGradient;
import java.time.Duration;

/**
 * Supplies the meta-parameters of each training step: constant for the fixed modes, streamed
 * from the meta-optimizer and the monitor's forecasts for the optimised ones (docs/method.md §5).
 * Called on the trainer's own thread, which may block while an update is on its way.
 */
public interface MetaSource extends AutoCloseable {

  /**
   * The meta-parameters for a step.
   *
   * @throws MetaTimeoutException when the value does not arrive within the timeout
   */
  MetaPoint pointFor(long step, Duration timeout) throws InterruptedException;

  /**
   * The meta-parameters for a step if they are already known, without waiting; null when
   * {@link #pointFor} would have to wait for them. Lets a run give its compute permit back only
   * when it really waits.
   */
  MetaPoint ready(long step);

  /**
   * Whether steps wait on the bus for their meta-parameters: such a run's round trips are its
   * time, so it is served first when runs share the cores (see {@link ComputePermits}).
   */
  default boolean awaitsTheBus() {
    return false;
  }

  /**
   * Whether hypergradient steps go on without waiting for their update, on one the run computes
   * itself and the meta-optimizer's must match (see {@link StreamedMetaSource}): such a run
   * trains from step to step like one that only computes.
   */
  default boolean runsAhead() {
    return false;
  }

  /** The run has computed a step's hypergradient, before handing it to the bus. */
  default void hyperGradientComputed(HyperGradient gradient) {}

  /**
   * Waits until the meta-optimizer has matched every update the run computed itself and trained
   * on; at once for a source that does not run ahead.
   *
   * @throws MetaTimeoutException when one is not matched within the timeout
   */
  default void awaitConfirmed(Duration timeout) throws InterruptedException {}

  /**
   * A step starts; {@code sendsHyperGradient} when it sends a hypergradient to the bus. Lets a
   * streamed source gather the sends of many runs into rounds (see {@link SendRounds}).
   */
  default void stepStarts(long step, boolean sendsHyperGradient) {}

  /**
   * The step's hypergradient has been handed to the bus: the sender's round may be over (see
   * {@link SendRounds}).
   */
  default void hyperGradientSent(long step) {}

  @Override
  default void close() {}
}
