package dev.skiff.server.backend;

/** A backend could not create a container (the executable is missing, the fork failed, ...). */
public final class ContainerStartException extends RuntimeException {
  /** An exception with a message that says what was wrong. */
  public ContainerStartException(String message) {
    super(message);
  }

  /** An exception with a message and the failure that caused it. */
  public ContainerStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
