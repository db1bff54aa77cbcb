package dev.skiff;

/**
 * An attempt of a function ran past its timeout (after any retries were spent). The attempt's code
 * was stopped.
 */
public class FunctionTimeoutException extends SkiffException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public FunctionTimeoutException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public FunctionTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}
