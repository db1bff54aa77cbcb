package dev.skiff.server;

import dev.skiff.server.runtime.ControlPlaneConfig.LogRate;
import dev.skiff.server.web.WebLimits;
import java.time.Duration;
import java.util.Objects;

/**
 * The server's bounds on what callers send and what containers use, each set by a {@code skiff
 * server} option (see docs/server.md, "Limits"). A caller past one of the first three is answered
 * {@code RESOURCE_EXHAUSTED} naming the limit and its option.
 *
 * @param maxMessageMib the largest gRPC message the server accepts, in MiB ({@code
 *     --max-message-mib}); payloads past the SDK's inline limit (4 MiB) travel as blobs, so no
 *     message of the SDK comes near it
 * @param maxBlobMib the largest blob (a payload past the inline limit), in MiB ({@code
 *     --max-blob-mib})
 * @param blobQuotaMib the most bytes all stored blobs may hold together, in MiB ({@code
 *     --blob-quota-mib})
 * @param containerMemoryMib the memory limit of a container whose function sets none, in MiB
 *     ({@code --container-memory-mib}; 0: none)
 * @param containerPids the most processes and threads one container may have ({@code
 *     --container-pids}; 0: no limit)
 * @param logLinesPerSecond how many lines of output per second each container may write to the
 *     logs, with bursts of twice as many ({@code --log-rate}); lines beyond it are dropped and
 *     counted (see docs/logs.md)
 * @param web the web gateway's bounds ({@code --web-*})
 */
public record ServerLimits(
    int maxMessageMib,
    long maxBlobMib,
    long blobQuotaMib,
    long containerMemoryMib,
    int containerPids,
    int logLinesPerSecond,
    WebLimits web) {
  /** The default of {@link #maxMessageMib}: 64 MiB. */
  public static final int DEFAULT_MAX_MESSAGE_MIB = 64;

  /** The default of {@link #maxBlobMib}: 256 MiB, the SDK's largest payload. */
  public static final long DEFAULT_MAX_BLOB_MIB = 256;

  /** The default of {@link #blobQuotaMib}: 16 GiB. */
  public static final long DEFAULT_BLOB_QUOTA_MIB = 16 * 1024;

  /** The default of {@link #containerMemoryMib}: 2 GiB. */
  public static final long DEFAULT_CONTAINER_MEMORY_MIB = 2048;

  /**
   * The default of {@link #containerPids}: far more than a JVM's threads, far fewer than a bomb.
   */
  public static final int DEFAULT_CONTAINER_PIDS = 4096;

  /** The default of {@link #logLinesPerSecond}, {@link LogRate#DEFAULT}'s: 1,000. */
  public static final int DEFAULT_LOG_LINES_PER_SECOND = LogRate.DEFAULT.linesPerSecond();

  /** The most {@link #logLinesPerSecond} may be. */
  public static final int MAX_LOG_LINES_PER_SECOND = 1_000_000;

  /** Checks each bound; IllegalArgumentException naming the option otherwise. */
  public ServerLimits {
    check("--max-message-mib", maxMessageMib, 1, 1024);
    check("--max-blob-mib", maxBlobMib, 1, 1024L * 1024);
    check("--blob-quota-mib", blobQuotaMib, 1, Long.MAX_VALUE / (1024 * 1024));
    check("--container-memory-mib", containerMemoryMib, 0, 1024L * 1024);
    check("--container-pids", containerPids, 0, 4_194_304);
    checkLogRate(logLinesPerSecond);
    Objects.requireNonNull(web, "web");
  }

  /** The defaults. */
  public static ServerLimits defaults() {
    return new ServerLimits(
        DEFAULT_MAX_MESSAGE_MIB,
        DEFAULT_MAX_BLOB_MIB,
        DEFAULT_BLOB_QUOTA_MIB,
        DEFAULT_CONTAINER_MEMORY_MIB,
        DEFAULT_CONTAINER_PIDS,
        DEFAULT_LOG_LINES_PER_SECOND,
        WebLimits.defaults());
  }

  /** The largest message, in bytes. */
  public int maxMessageBytes() {
    return maxMessageMib * 1024 * 1024;
  }

  /** The rate of {@link #logLinesPerSecond}, with bursts of twice as many lines. */
  public LogRate logRate() {
    return new LogRate(logLinesPerSecond, 2 * logLinesPerSecond);
  }

  /** These limits with {@code option} (one of the {@code skiff server} options above) set. */
  ServerLimits with(String option, String value) {
    Draft d = new Draft(this);
    switch (option) {
      case "--max-message-mib" ->
          d.maxMessageMib = (int) Math.min(wholeNumber(option, value), Integer.MAX_VALUE / 2);
      case "--max-blob-mib" -> d.maxBlobMib = wholeNumber(option, value);
      case "--blob-quota-mib" -> d.blobQuotaMib = wholeNumber(option, value);
      case "--container-memory-mib" -> d.containerMemoryMib = wholeNumber(option, value);
      case "--container-pids" ->
          d.containerPids = (int) Math.min(wholeNumber(option, value), Integer.MAX_VALUE);
      case "--log-rate" -> d.logLinesPerSecond = checkLogRate(wholeNumber(option, value));
      case "--web-max-buffered-mib" -> d.maxBufferedMib = wholeNumber(option, value);
      case "--web-max-connections" ->
          d.maxConnections = (int) Math.min(wholeNumber(option, value), Integer.MAX_VALUE);
      case "--web-idle-timeout" -> d.idleTimeout = SkiffServer.duration(option, value);
      case "--web-read-timeout" -> d.readTimeout = SkiffServer.duration(option, value);
      default -> throw new IllegalArgumentException("unknown option " + option);
    }
    return d.build();
  }

  /** The limits as they are being changed by {@link #with}, one option at a time. */
  private static final class Draft {
    int maxMessageMib;
    long maxBlobMib;
    long blobQuotaMib;
    long containerMemoryMib;
    int containerPids;
    int logLinesPerSecond;
    long maxBufferedMib;
    int maxConnections;
    Duration idleTimeout;
    Duration readTimeout;

    Draft(ServerLimits l) {
      maxMessageMib = l.maxMessageMib;
      maxBlobMib = l.maxBlobMib;
      blobQuotaMib = l.blobQuotaMib;
      containerMemoryMib = l.containerMemoryMib;
      containerPids = l.containerPids;
      logLinesPerSecond = l.logLinesPerSecond;
      maxBufferedMib = l.web.maxBufferedMib();
      maxConnections = l.web.maxConnections();
      idleTimeout = l.web.idleTimeout();
      readTimeout = l.web.readTimeout();
    }

    ServerLimits build() {
      return new ServerLimits(
          maxMessageMib,
          maxBlobMib,
          blobQuotaMib,
          containerMemoryMib,
          containerPids,
          logLinesPerSecond,
          new WebLimits(maxBufferedMib, maxConnections, idleTimeout, readTimeout));
    }
  }

  private static long wholeNumber(String option, String value) {
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " " + value + " is not a whole number", e);
    }
  }

  /** {@code --log-rate}'s value if it is within 1..{@value #MAX_LOG_LINES_PER_SECOND}. */
  private static int checkLogRate(long linesPerSecond) {
    if (linesPerSecond < 1 || linesPerSecond > MAX_LOG_LINES_PER_SECOND) {
      throw new IllegalArgumentException(
          "--log-rate is "
              + linesPerSecond
              + "; allowed is 1.."
              + MAX_LOG_LINES_PER_SECOND
              + " lines per second per container (the default is "
              + DEFAULT_LOG_LINES_PER_SECOND
              + "; lines beyond it are dropped and counted)");
    }
    return (int) linesPerSecond;
  }

  private static void check(String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          option + " is " + value + "; allowed is " + min + ".." + max);
    }
  }
}
