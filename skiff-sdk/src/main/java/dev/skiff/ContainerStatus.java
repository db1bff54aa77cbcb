package dev.skiff;

import java.util.Objects;

/**
 * One container of a function, as {@link AppRun#status()} saw it.
 *
 * @param id the container's id, e.g. {@code c-3kf9qa} (the id its log lines carry)
 * @param state where the container is in its life
 * @param runningInputs how many inputs it runs now
 */
public record ContainerStatus(String id, State state, int runningInputs) {
  /** Where a container is in its life. */
  public enum State {
    /** Started: its process starts, connects and initialises the function's code. */
    STARTING,
    /** Ready and running no input. */
    IDLE,
    /** Ready and running at least one input. */
    BUSY,
    /** Asked to stop (scaled down, app stopping) or killed; its exit is awaited. */
    STOPPING,
    /**
     * In the server's warm pool: started ahead of need for the app's classpath, with no function
     * yet ({@link AppRun#warmContainers()}); the next container a function needs is taken from it.
     */
    WARM
  }

  /** Checks the values. */
  public ContainerStatus {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    if (runningInputs < 0) {
      throw new IllegalArgumentException("runningInputs must be >= 0, was " + runningInputs);
    }
  }
}
