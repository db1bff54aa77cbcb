package dev.skiff;

import java.util.Optional;

/**
 * A user function raised an exception that cannot be rethrown as its own type on the caller's side:
 * its class is not on the caller's classpath, it has no usable constructor, or it is a checked
 * exception or an {@link Error} (which {@code remote()} does not declare). The remote class name,
 * message and stack trace are kept; where the remote exception could be rebuilt, it is the
 * {@linkplain #getCause() cause}.
 */
public class RemoteFunctionException extends SkiffException {
  private static final long serialVersionUID = 1L;

  private final String remoteClassName;
  private final String remoteMessage;

  /**
   * Creates the exception.
   *
   * @param remoteClassName the fully qualified class name of the exception raised remotely
   * @param remoteMessage its message, or {@code ""} when it had none
   * @param cause the rebuilt remote exception, or {@code null} when it could not be rebuilt
   */
  public RemoteFunctionException(String remoteClassName, String remoteMessage, Throwable cause) {
    super(
        remoteMessage.isEmpty() ? remoteClassName : remoteClassName + ": " + remoteMessage, cause);
    this.remoteClassName = remoteClassName;
    this.remoteMessage = remoteMessage;
  }

  /** The fully qualified class name of the exception that the function raised. */
  public String remoteClassName() {
    return remoteClassName;
  }

  /** The message of the exception that the function raised, if it had one. */
  public Optional<String> remoteMessage() {
    return remoteMessage.isEmpty() ? Optional.empty() : Optional.of(remoteMessage);
  }
}
