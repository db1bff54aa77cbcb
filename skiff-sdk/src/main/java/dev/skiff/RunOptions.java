package dev.skiff;

/**
 * How {@link App#run(RunOptions)} shows what containers do.
 *
 * @param showLogs whether container output is printed to this program's console, each line prefixed
 *     with the function name and container id
 * @param showProgress whether long maps draw a progress bar when the console is a terminal
 */
public record RunOptions(boolean showLogs, boolean showProgress) {
  /** Logs and progress shown. */
  public static RunOptions defaults() {
    return new RunOptions(true, true);
  }

  /** Neither logs nor progress shown. */
  public static RunOptions quiet() {
    return new RunOptions(false, false);
  }

  /** These options with logs shown or not. */
  public RunOptions withLogs(boolean show) {
    return new RunOptions(show, showProgress);
  }

  /** These options with the progress bar shown or not. */
  public RunOptions withProgress(boolean show) {
    return new RunOptions(showLogs, show);
  }
}
