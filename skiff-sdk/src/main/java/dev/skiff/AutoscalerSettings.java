package dev.skiff;

import java.time.Duration;
import java.util.Objects;

/**
 * A function's autoscaler settings as they are in effect, with the platform's defaults applied.
 *
 * @param minContainers containers kept running even without traffic
 * @param maxContainers the most containers the function has at once
 * @param bufferContainers idle containers kept beyond demand while the function has inputs
 * @param scaledownWindow how long a container may stay idle before it stops
 * @param targetInputs inputs per container the autoscaler aims at
 * @param maxInputs the most inputs one container runs at once
 */
public record AutoscalerSettings(
    int minContainers,
    int maxContainers,
    int bufferContainers,
    Duration scaledownWindow,
    int targetInputs,
    int maxInputs) {
  /** Checks that no value is missing. */
  public AutoscalerSettings {
    Objects.requireNonNull(scaledownWindow, "scaledownWindow");
  }
}
