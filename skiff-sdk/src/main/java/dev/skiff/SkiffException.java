package dev.skiff;

/**
 * The root of every exception that Skiff raises. Skiff throws only unchecked exceptions; subclasses
 * say how a caller would react (retry, fix the configuration, look at the remote error) rather than
 * where the error arose.
 */
public class SkiffException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message. */
  public SkiffException(String message) {
    super(message);
  }

  /** Creates an exception with a message and a cause. */
  public SkiffException(String message, Throwable cause) {
    super(message, cause);
  }
}
