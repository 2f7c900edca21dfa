package io.distilflux.pipeline;

/** A record that is not a valid event of its topic; the message is a one-line reason. */
public final class MalformedEventException extends RuntimeException {

  /** Creates the exception with its one-line reason. */
  public MalformedEventException(String reason) {
    super(reason);
  }
}
