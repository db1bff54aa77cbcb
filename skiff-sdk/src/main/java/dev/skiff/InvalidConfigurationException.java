package dev.skiff;

/**
 * A function, app or call was configured with a value that is not allowed. The message names the
 * option, the value and what is allowed; nothing was registered or half-applied.
 */
public class InvalidConfigurationException extends SkiffException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public InvalidConfigurationException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public InvalidConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }
}
