package dev.skiff.server.metrics;

/**
 * How many containers of running functions are in each state at one moment (the states of {@code
 * skiff function status}).
 *
 * @param starting created; starting, connecting or initialising the user's code
 * @param idle ready, running no input
 * @param busy ready, running at least one input
 * @param stopping told to stop, killed or failed; its exit is awaited
 */
public record ContainerCounts(int starting, int idle, int busy, int stopping) {
  /** No containers. */
  public static final ContainerCounts NONE = new ContainerCounts(0, 0, 0, 0);

  /** The sum of this and {@code other}, state by state. */
  public ContainerCounts plus(ContainerCounts other) {
    return new ContainerCounts(
        starting + other.starting, idle + other.idle, busy + other.busy, stopping + other.stopping);
  }
}
