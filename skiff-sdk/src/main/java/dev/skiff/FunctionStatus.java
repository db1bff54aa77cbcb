package dev.skiff;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one function of a running app is doing, as {@link AppRun#status()} saw it: its containers
 * and their states, its inputs, and what its autoscaler wants. A snapshot; immutable.
 *
 * @param name the function's name within its app
 * @param queuedInputs inputs waiting for a container slot
 * @param runningInputs inputs running in containers
 * @param containers the function's containers that have not exited, stopping ones included
 * @param autoscaler the autoscaler settings in effect (as declared, or as last {@code
 *     updateAutoscaler}d)
 * @param desiredContainers how many live (starting, idle or busy) containers the autoscaler wants
 * @param waitingContainers containers wanted but not placed yet
 * @param waitingReason why they are not placed, e.g. that container starts are backing off after
 *     failures; empty when none waits
 */
public record FunctionStatus(
    String name,
    int queuedInputs,
    int runningInputs,
    List<ContainerStatus> containers,
    AutoscalerSettings autoscaler,
    int desiredContainers,
    int waitingContainers,
    Optional<String> waitingReason) {
  /** Checks the values and copies the list. */
  public FunctionStatus {
    Objects.requireNonNull(name, "name");
    containers = List.copyOf(containers);
    Objects.requireNonNull(autoscaler, "autoscaler");
    Objects.requireNonNull(waitingReason, "waitingReason");
  }

  /** How many of its containers are in {@code state}. */
  public int containers(ContainerStatus.State state) {
    return (int) containers.stream().filter(c -> c.state() == state).count();
  }
}
