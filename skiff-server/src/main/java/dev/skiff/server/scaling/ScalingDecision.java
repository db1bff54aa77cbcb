package dev.skiff.server.scaling;

import java.util.List;
import java.util.Optional;

/**
 * What an {@link Autoscaler} decided for one function.
 *
 * @param desired how many live (starting, idle or busy) containers the function should have
 * @param start how many containers to start now
 * @param stop the ids of the containers to stop now, in order
 * @param waiting why fewer containers than {@code desired} are live and none is started for the
 *     difference (backing off, the cap reached while others still stop); empty when none waits
 * @param reason the numbers behind the decision and what it does, for the debug log
 */
public record ScalingDecision(
    int desired, int start, List<String> stop, Optional<String> waiting, String reason) {
  public ScalingDecision {
    stop = List.copyOf(stop);
    if (desired < 0 || start < 0 || (start > 0 && !stop.isEmpty())) {
      throw new IllegalArgumentException(
          "invalid decision: desired=" + desired + " start=" + start + " stop=" + stop);
    }
  }

  /** Whether the decision starts or stops anything. */
  public boolean changesAnything() {
    return start > 0 || !stop.isEmpty();
  }
}
