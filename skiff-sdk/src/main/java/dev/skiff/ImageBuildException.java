package dev.skiff;

/**
 * An image could not be built: a step failed (a {@code runCommands} command exited non-zero, a
 * Maven coordinate could not be resolved, a Debian package could not be installed, the requested
 * JDK is not installed, ...). Raised by {@code App.run()} before any container of the app starts.
 */
public final class ImageBuildException extends SkiffException {
  private static final long serialVersionUID = 1L;

  private final String step;
  private final String output;

  /**
   * Creates the exception.
   *
   * @param step the step that failed, e.g. {@code runCommands("make")}
   * @param message what went wrong
   * @param output the step's output (its last lines when it was long); may be empty
   */
  public ImageBuildException(String step, String message, String output) {
    super(
        "image build failed at step "
            + step
            + ": "
            + message
            + (output.isBlank() ? "" : "\n--- output of the step ---\n" + output));
    this.step = step;
    this.output = output;
  }

  /** The step that failed, e.g. {@code runCommands("make")}. */
  public String step() {
    return step;
  }

  /** The failed step's output (its last lines when it was long); empty when it printed nothing. */
  public String output() {
    return output;
  }
}
