package dev.skiff;

/**
 * The container running an input died (exit, signal, out of memory) before the input finished. The
 * message says how it ended and shows the last lines of its error output.
 */
public class ContainerCrashedException extends SkiffException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public ContainerCrashedException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public ContainerCrashedException(String message, Throwable cause) {
    super(message, cause);
  }
}
