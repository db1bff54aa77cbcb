package dev.skiff;

/** An app, function or call that a request named does not exist. */
public class NotFoundException extends SkiffException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public NotFoundException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public NotFoundException(String message, Throwable cause) {
    super(message, cause);
  }
}
