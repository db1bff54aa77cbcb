package dev.skiff;

import java.util.OptionalInt;

/**
 * How {@link App#run(RunOptions)} runs the app and shows what its containers do.
 *
 * @param showLogs whether container output is printed to this program's console, each line prefixed
 *     with the function name and container id
 * @param showProgress whether long maps draw a progress bar when the console is a terminal
 * @param maxContainers the container cap of each function of this run that sets no {@code
 *     maxContainers} of its own; empty for the control plane's default (the embedded one's is
 *     max(2, cores) per function)
 * @param dashboard whether the run prints where its control plane's dashboard is: a server's always
 *     serves one; the embedded control plane serves it only once a run asks, and the run prints the
 *     token to log in with too (it lives as long as this program)
 */
public record RunOptions(
    boolean showLogs, boolean showProgress, OptionalInt maxContainers, boolean dashboard) {
  /** The largest container cap, as for {@link FunctionOptions.Builder#maxContainers(int)}. */
  static final int MAX_CONTAINERS = 1000;

  /**
   * @throws InvalidConfigurationException if the container cap is outside 1..1000
   */
  public RunOptions {
    if (maxContainers.isPresent()
        && (maxContainers.getAsInt() < 1 || maxContainers.getAsInt() > MAX_CONTAINERS)) {
      throw new InvalidConfigurationException(
          "run options: maxContainers was "
              + maxContainers.getAsInt()
              + "; allowed is 1.."
              + MAX_CONTAINERS);
    }
  }

  /** Logs and progress shown, the control plane's default container cap. */
  public static RunOptions defaults() {
    return new RunOptions(true, true, OptionalInt.empty(), false);
  }

  /** Neither logs nor progress shown, the control plane's default container cap. */
  public static RunOptions quiet() {
    return new RunOptions(false, false, OptionalInt.empty(), false);
  }

  /** These options with logs shown or not. */
  public RunOptions withLogs(boolean show) {
    return new RunOptions(show, showProgress, maxContainers, dashboard);
  }

  /** These options with the progress bar shown or not. */
  public RunOptions withProgress(boolean show) {
    return new RunOptions(showLogs, show, maxContainers, dashboard);
  }

  /**
   * These options with the dashboard's address printed when the run starts (and, on the embedded
   * control plane, the dashboard served, which it is not otherwise) or not.
   */
  public RunOptions withDashboard(boolean show) {
    return new RunOptions(showLogs, showProgress, maxContainers, show);
  }

  /**
   * These options with another container cap for each function that sets no {@code maxContainers}
   * of its own: e.g. {@code withMaxContainers(10)} lets ten concurrent one-second calls of such a
   * function finish in about a second rather than queue behind the default cap.
   *
   * @throws InvalidConfigurationException if {@code n} is outside 1..1000
   */
  public RunOptions withMaxContainers(int n) {
    return new RunOptions(showLogs, showProgress, OptionalInt.of(n), dashboard);
  }
}
