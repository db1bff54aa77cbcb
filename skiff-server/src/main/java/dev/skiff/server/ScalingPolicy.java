package dev.skiff.server;

import java.time.Duration;

/**
 * A function's scaling settings, with defaults already applied.
 *
 * @param minContainers containers kept even when idle
 * @param maxContainers the most containers at once (>= minContainers, >= 1)
 * @param slotsPerContainer inputs one container runs at once (>= 1)
 * @param scaledownWindow how long a container may idle before it is stopped
 */
record ScalingPolicy(
    int minContainers, int maxContainers, int slotsPerContainer, Duration scaledownWindow) {
  ScalingPolicy {
    if (minContainers < 0 || maxContainers < Math.max(1, minContainers) || slotsPerContainer < 1) {
      throw new IllegalArgumentException(
          "invalid scaling policy: min="
              + minContainers
              + " max="
              + maxContainers
              + " slots="
              + slotsPerContainer);
    }
  }
}
