package dev.skiff;

/**
 * A container could not start, or the user's code could not be initialised in it (a failing static
 * initialiser, a missing class, a startup timeout).
 */
public class ContainerStartupException extends SkiffException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public ContainerStartupException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public ContainerStartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
