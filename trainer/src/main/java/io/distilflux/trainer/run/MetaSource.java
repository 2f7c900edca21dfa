package io.distilflux.trainer.run;

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
