package dev.skiff;

/** {@link FunctionCall#get(java.time.Duration)} waited its whole timeout; the call goes on. */
public class ResultNotReadyException extends SkiffException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message. */
  public ResultNotReadyException(String message) {
    super(message);
  }
}
