package dev.skiff;

/**
 * An argument or result could not be encoded or decoded by its declared type, or is larger than
 * allowed. When raised for an argument it is raised at the call site, before anything was enqueued.
 */
public class PayloadException extends SkiffException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public PayloadException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public PayloadException(String message, Throwable cause) {
    super(message, cause);
  }
}
