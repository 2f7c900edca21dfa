package io.distilflux.trainer.run;

/** A meta-parameter update or forecast did not arrive in time; the run ends with this reason. */
public final class MetaTimeoutException extends RuntimeException {

  /** Creates the exception with a one-line reason. */
  public MetaTimeoutException(String reason) {
    super(reason);
  }
}
