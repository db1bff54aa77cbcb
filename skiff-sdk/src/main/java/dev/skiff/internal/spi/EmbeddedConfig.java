package dev.skiff.internal.spi;

import java.time.Duration;

/**
 * Settings of an embedded control plane.
 *
 * @param defaultMaxContainers the container cap of a function that sets no {@code maxContainers}
 * @param defaultScaledownWindow how long an idle container lives when a function sets no {@code
 *     scaledownWindow}
 */
public record EmbeddedConfig(int defaultMaxContainers, Duration defaultScaledownWindow) {
  /** Defaults: a cap of max(2, cores) containers per function and a 60 s idle window. */
  public static EmbeddedConfig defaults() {
    return new EmbeddedConfig(
        Math.max(2, Runtime.getRuntime().availableProcessors()), Duration.ofSeconds(60));
  }
}
