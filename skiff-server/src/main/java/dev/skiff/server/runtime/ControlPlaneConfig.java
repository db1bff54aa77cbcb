package dev.skiff.server.runtime;

import dev.skiff.internal.spi.EmbeddedConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The tunable numbers of a control plane.
 *
 * @param defaultMaxContainers the container cap of a function that sets none
 * @param defaultScaledownWindow how long an idle container lives when its function sets no window
 * @param defaultTimeout the per-attempt timeout of a function that sets none
 * @param heartbeatTimeout how long a connected container may stay silent before it is declared lost
 * @param stopGrace how long a container may take to exit after {@code Shutdown}, and again after
 *     SIGTERM, before it is killed; also how long a cancelled or timed-out attempt may take to stop
 *     before its container is killed
 * @param brokenStreamGrace how long a container whose control stream broke may live on before it is
 *     killed (it is usually exiting already)
 * @param tick how often idle containers and heartbeats are checked
 * @param startFailuresBeforeGivingUp consecutive failed container starts after which a function's
 *     queued inputs fail
 * @param maxStartBackoff the longest pause between container starts of a failing function
 * @param warmContainers containers kept started ahead of need per classpath in use (0: none)
 * @param dataDir where what outlives a run is kept (volumes, images, the store)
 * @param buildDirectory where built images and the Maven artifacts they resolve are kept: the data
 *     directory, or a cache that several control planes share
 * @param maxWarmContainers the most warm containers kept in all, whatever the number of classpaths
 *     in use (0: none)
 * @param logRate how many lines of output per second each container may write to the logs
 */
public record ControlPlaneConfig(
    int defaultMaxContainers,
    Duration defaultScaledownWindow,
    Duration defaultTimeout,
    Duration heartbeatTimeout,
    Duration stopGrace,
    Duration brokenStreamGrace,
    Duration tick,
    int startFailuresBeforeGivingUp,
    Duration maxStartBackoff,
    int warmContainers,
    Path dataDir,
    Path buildDirectory,
    int maxWarmContainers,
    LogRate logRate) {
  /**
   * How many lines of output per second one container may write to its app's logs: a token bucket
   * that refills at {@code linesPerSecond} and holds up to {@code burst} lines. Lines beyond it are
   * dropped and counted, and the count is reported in a {@code [skiff: N lines dropped ...]} line.
   *
   * @param linesPerSecond the sustained rate, at least 1
   * @param burst how many lines may come at once after a quiet spell, at least 1
   */
  public record LogRate(int linesPerSecond, int burst) {
    /** The default: 1,000 lines per second, bursts of 2,000. */
    public static final LogRate DEFAULT = new LogRate(1_000, 2_000);

    /** Rejects a rate or burst below 1. */
    public LogRate {
      if (linesPerSecond < 1 || burst < 1) {
        throw new IllegalArgumentException(
            "the log rate must be at least 1 line per second with a burst of at least 1, was "
                + linesPerSecond
                + " lines/s with a burst of "
                + burst);
      }
    }
  }

  /** The default of {@link #maxWarmContainers}: four idle JVMs, about 300 MB. */
  public static final int DEFAULT_MAX_WARM_CONTAINERS = 4;

  /** The most {@link #maxWarmContainers} may be. */
  public static final int MAX_WARM_CONTAINERS_LIMIT = 64;

  public ControlPlaneConfig {
    if (defaultMaxContainers < 1) {
      throw new IllegalArgumentException(
          "defaultMaxContainers must be >= 1, was " + defaultMaxContainers);
    }
    if (startFailuresBeforeGivingUp < 1) {
      throw new IllegalArgumentException(
          "startFailuresBeforeGivingUp must be >= 1, was " + startFailuresBeforeGivingUp);
    }
    if (warmContainers < 0) {
      throw new IllegalArgumentException("warmContainers must be >= 0, was " + warmContainers);
    }
    if (maxWarmContainers < 0 || maxWarmContainers > MAX_WARM_CONTAINERS_LIMIT) {
      throw new IllegalArgumentException(
          "maxWarmContainers must be 0.."
              + MAX_WARM_CONTAINERS_LIMIT
              + ", was "
              + maxWarmContainers);
    }
    Objects.requireNonNull(logRate, "logRate");
  }

  /** Settings with the default log rate ({@link LogRate#DEFAULT}). */
  public ControlPlaneConfig(
      int defaultMaxContainers,
      Duration defaultScaledownWindow,
      Duration defaultTimeout,
      Duration heartbeatTimeout,
      Duration stopGrace,
      Duration brokenStreamGrace,
      Duration tick,
      int startFailuresBeforeGivingUp,
      Duration maxStartBackoff,
      int warmContainers,
      Path dataDir,
      Path buildDirectory,
      int maxWarmContainers) {
    this(
        defaultMaxContainers,
        defaultScaledownWindow,
        defaultTimeout,
        heartbeatTimeout,
        stopGrace,
        brokenStreamGrace,
        tick,
        startFailuresBeforeGivingUp,
        maxStartBackoff,
        warmContainers,
        dataDir,
        buildDirectory,
        maxWarmContainers,
        LogRate.DEFAULT);
  }

  /** Settings with the default cap on warm containers in all. */
  public ControlPlaneConfig(
      int defaultMaxContainers,
      Duration defaultScaledownWindow,
      Duration defaultTimeout,
      Duration heartbeatTimeout,
      Duration stopGrace,
      Duration brokenStreamGrace,
      Duration tick,
      int startFailuresBeforeGivingUp,
      Duration maxStartBackoff,
      int warmContainers,
      Path dataDir,
      Path buildDirectory) {
    this(
        defaultMaxContainers,
        defaultScaledownWindow,
        defaultTimeout,
        heartbeatTimeout,
        stopGrace,
        brokenStreamGrace,
        tick,
        startFailuresBeforeGivingUp,
        maxStartBackoff,
        warmContainers,
        dataDir,
        buildDirectory,
        DEFAULT_MAX_WARM_CONTAINERS);
  }

  /** These settings with another cap on warm containers in all (0 turns them off). */
  public ControlPlaneConfig withMaxWarmContainers(int max) {
    return new ControlPlaneConfig(
        defaultMaxContainers,
        defaultScaledownWindow,
        defaultTimeout,
        heartbeatTimeout,
        stopGrace,
        brokenStreamGrace,
        tick,
        startFailuresBeforeGivingUp,
        maxStartBackoff,
        warmContainers,
        dataDir,
        buildDirectory,
        max,
        logRate);
  }

  /** These settings with another rate of log lines per container. */
  public ControlPlaneConfig withLogRate(LogRate rate) {
    return new ControlPlaneConfig(
        defaultMaxContainers,
        defaultScaledownWindow,
        defaultTimeout,
        heartbeatTimeout,
        stopGrace,
        brokenStreamGrace,
        tick,
        startFailuresBeforeGivingUp,
        maxStartBackoff,
        warmContainers,
        dataDir,
        buildDirectory,
        maxWarmContainers,
        rate);
  }

  /** Settings whose built images are kept in the data directory. */
  public ControlPlaneConfig(
      int defaultMaxContainers,
      Duration defaultScaledownWindow,
      Duration defaultTimeout,
      Duration heartbeatTimeout,
      Duration stopGrace,
      Duration brokenStreamGrace,
      Duration tick,
      int startFailuresBeforeGivingUp,
      Duration maxStartBackoff,
      int warmContainers,
      Path dataDir) {
    this(
        defaultMaxContainers,
        defaultScaledownWindow,
        defaultTimeout,
        heartbeatTimeout,
        stopGrace,
        brokenStreamGrace,
        tick,
        startFailuresBeforeGivingUp,
        maxStartBackoff,
        warmContainers,
        dataDir,
        dataDir);
  }

  /** The standard settings with the embedded configuration's defaults. */
  public static ControlPlaneConfig from(EmbeddedConfig embedded) {
    return new ControlPlaneConfig(
        embedded.defaultMaxContainers(),
        embedded.defaultScaledownWindow(),
        Duration.ofSeconds(300),
        Duration.ofSeconds(10),
        Duration.ofSeconds(2),
        Duration.ofSeconds(2),
        Duration.ofSeconds(1),
        3,
        Duration.ofSeconds(30),
        embedded.warmContainers(),
        embedded.dataDir(),
        embedded.buildDirectory());
  }
}
