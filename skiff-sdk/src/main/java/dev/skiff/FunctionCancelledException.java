package dev.skiff;

/** The call was cancelled, by {@link FunctionCall#cancel()} or by closing a result stream early. */
public class FunctionCancelledException extends SkiffException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public FunctionCancelledException(String message) {
    super(message);
  }

  /** Creates the exception with a message and a cause. */
  public FunctionCancelledException(String message, Throwable cause) {
    super(message, cause);
  }
}
