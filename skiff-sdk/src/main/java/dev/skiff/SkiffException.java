package dev.skiff;

import dev.skiff.internal.FailureFacts;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The root of every exception that Skiff raises. Skiff throws only unchecked exceptions; subclasses
 * say how a caller would react (retry, fix the configuration, look at the remote error) rather than
 * where the error arose.
 *
 * <p>An exception for a failed remote call also carries what the control plane knows of the
 * failure, as typed facts beside its message: {@link #attempts()}, {@link #containerId()} and
 * {@link #exitCode()}. They are empty for exceptions raised in this process (a configuration
 * refused, an argument that cannot be encoded) and for facts the control plane does not have.
 */
public class SkiffException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  static {
    FailureFacts.install(SkiffException::attach);
  }

  // Set at most once, by Skiff, before the exception is thrown; 0, "" and -1 mean absent.
  private int attempts;
  private String containerId = "";
  private int exitCode = -1;

  /** Creates an exception with a message. */
  public SkiffException(String message) {
    super(message);
  }

  /** Creates an exception with a message and a cause. */
  public SkiffException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * How many attempts the control plane made of the failed call (more than one when it was
   * retried); empty where the call never ran or the exception is not a remote call's.
   */
  public OptionalInt attempts() {
    return attempts > 0 ? OptionalInt.of(attempts) : OptionalInt.empty();
  }

  /** The short id of the container the call failed in, e.g. {@code "c-3kq9x7m2"}, if any. */
  public Optional<String> containerId() {
    return containerId.isEmpty() ? Optional.empty() : Optional.of(containerId);
  }

  /**
   * The exit code of the container whose end failed the call ({@code 128 + N} for signal {@code
   * N}), where a container ended: for a {@link ContainerCrashedException}.
   */
  public OptionalInt exitCode() {
    return exitCode >= 0 ? OptionalInt.of(exitCode) : OptionalInt.empty();
  }

  private static void attach(
      SkiffException e, int attempts, String containerId, OptionalInt exitCode) {
    e.attempts = Math.max(0, attempts);
    e.containerId = containerId;
    e.exitCode = exitCode.orElse(-1);
  }
}
