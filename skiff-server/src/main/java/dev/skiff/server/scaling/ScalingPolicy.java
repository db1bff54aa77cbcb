package dev.skiff.server.scaling;

import dev.skiff.server.runtime.Failures;
import java.time.Duration;

/**
 * A function's scaling settings, with defaults already applied.
 *
 * @param minContainers containers kept even when idle
 * @param maxContainers the most containers at once (>= minContainers, >= 1)
 * @param bufferContainers idle containers kept beyond demand while the function has inputs
 * @param slotsPerContainer inputs one container runs at once (>= 1)
 * @param targetInputs inputs per container the autoscaler aims at (1..slotsPerContainer)
 * @param scaledownWindow how long a container may idle before it is stopped (> 0)
 */
public record ScalingPolicy(
    int minContainers,
    int maxContainers,
    int bufferContainers,
    int slotsPerContainer,
    int targetInputs,
    Duration scaledownWindow) {
  public ScalingPolicy {
    if (minContainers < 0
        || maxContainers < Math.max(1, minContainers)
        || bufferContainers < 0
        || slotsPerContainer < 1
        || targetInputs < 1
        || targetInputs > slotsPerContainer
        || scaledownWindow.isNegative()
        || scaledownWindow.isZero()) {
      throw new IllegalArgumentException(
          "invalid scaling policy: "
              + describe(
                  minContainers,
                  maxContainers,
                  bufferContainers,
                  slotsPerContainer,
                  targetInputs,
                  scaledownWindow));
    }
  }

  /** The same policy with other autoscaler settings; the per-container numbers stay. */
  public ScalingPolicy withAutoscaler(int min, int max, int buffer, Duration window) {
    return new ScalingPolicy(min, max, buffer, slotsPerContainer, targetInputs, window);
  }

  @Override
  public String toString() {
    return describe(
        minContainers,
        maxContainers,
        bufferContainers,
        slotsPerContainer,
        targetInputs,
        scaledownWindow);
  }

  private static String describe(
      int min, int max, int buffer, int slots, int target, Duration window) {
    return "min="
        + min
        + " max="
        + max
        + " buffer="
        + buffer
        + " slots="
        + slots
        + " target="
        + target
        + " window="
        + Failures.format(window);
  }
}
