package dev.skiff;

/**
 * An option that exists in the API but whose behaviour is not implemented yet was used. Raised by
 * {@code App.run()} before anything starts, so that no option is ever silently ignored.
 */
public class UnsupportedOptionException extends InvalidConfigurationException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public UnsupportedOptionException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public UnsupportedOptionException(String message, Throwable cause) {
    super(message, cause);
  }
}
