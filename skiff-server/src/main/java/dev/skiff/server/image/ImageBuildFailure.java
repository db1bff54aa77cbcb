package dev.skiff.server.image;

/**
 * A step of an image build failed. Carries the step (as the user wrote it, e.g. {@code
 * runCommands("make")}) and its output, which reach the caller as a {@code dev.skiff
 * .ImageBuildException}.
 */
public final class ImageBuildFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String step;
  private final String output;

  /** A failure of {@code step} with {@code message} and the step's output (may be empty). */
  public ImageBuildFailure(String step, String message, String output) {
    super(message);
    this.step = step;
    this.output = output;
  }

  /** The step that failed. */
  public String step() {
    return step;
  }

  /** The step's output (its last lines). */
  public String output() {
    return output;
  }
}
