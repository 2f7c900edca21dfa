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

  @Override
  default void close() {}
}
