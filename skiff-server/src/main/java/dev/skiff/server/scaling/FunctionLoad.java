package dev.skiff.server.scaling;

import java.util.List;

/**
 * A snapshot of one function's load, as an {@link Autoscaler} sees it.
 *
 * @param queued inputs waiting for a container slot (including those sent ahead to a busy one)
 * @param running attempts occupying container slots (including cancelled ones not yet stopped)
 * @param containers every container of the function that has not exited, stopping ones included
 * @param backingOff whether container starts are paused after repeated failed starts
 */
public record FunctionLoad(
    int queued, int running, List<ContainerLoad> containers, boolean backingOff) {
  public FunctionLoad {
    containers = List.copyOf(containers);
  }

  /** Containers started but not yet ready. */
  int starting() {
    return count(ContainerLoad.State.STARTING);
  }

  /** Ready containers, busy or idle (not those stopping). */
  public int ready() {
    return count(ContainerLoad.State.IDLE) + count(ContainerLoad.State.BUSY);
  }

  /** Containers on their way out, whose processes still exist. */
  int stopping() {
    return count(ContainerLoad.State.STOPPING);
  }

  /** Containers that serve or will serve inputs: starting, idle and busy ones. */
  public int live() {
    return containers.size() - stopping();
  }

  private int count(ContainerLoad.State state) {
    int n = 0;
    for (ContainerLoad c : containers) {
      if (c.state() == state) {
        n++;
      }
    }
    return n;
  }
}
