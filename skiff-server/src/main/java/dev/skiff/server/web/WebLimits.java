package dev.skiff.server.web;

import java.time.Duration;

/**
 * The web gateway's bounds across all endpoints, each set by a {@code skiff server} option (see
 * docs/server.md, "Limits"); each endpoint adds its own body size and concurrency ({@code
 * WebEndpointOptions}).
 *
 * @param maxBufferedMib the most request-body bytes the gateway holds at once, over all requests,
 *     in MiB ({@code --web-max-buffered-mib}); a request whose body does not fit is answered 503
 *     with {@code Retry-After}
 * @param maxConnections the most open connections ({@code --web-max-connections}); the gateway
 *     stops accepting while it has this many
 * @param idleTimeout how long a connection may send nothing while the gateway waits for it ({@code
 *     --web-idle-timeout}); it is then closed
 * @param readTimeout how long a request's body may take to arrive in full ({@code
 *     --web-read-timeout}); a slower one is answered 408 and its connection closed
 */
public record WebLimits(
    long maxBufferedMib, int maxConnections, Duration idleTimeout, Duration readTimeout) {
  /** The default of {@link #maxBufferedMib}: 256 MiB. */
  public static final long DEFAULT_MAX_BUFFERED_MIB = 256;

  /** The default of {@link #maxConnections}: 4,096. */
  public static final int DEFAULT_MAX_CONNECTIONS = 4096;

  /** The default of {@link #idleTimeout} and {@link #readTimeout}: 30 s. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private static final Duration MIN_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration MAX_TIMEOUT = Duration.ofHours(1);

  /** Checks each bound; IllegalArgumentException naming the option otherwise. */
  public WebLimits {
    if (maxBufferedMib < 1 || maxBufferedMib > 1024 * 1024) {
      throw new IllegalArgumentException(
          "--web-max-buffered-mib is " + maxBufferedMib + "; allowed is 1..1048576");
    }
    if (maxConnections < 1 || maxConnections > 1_000_000) {
      throw new IllegalArgumentException(
          "--web-max-connections is " + maxConnections + "; allowed is 1..1000000");
    }
    checkTimeout("--web-idle-timeout", idleTimeout);
    checkTimeout("--web-read-timeout", readTimeout);
  }

  /** The defaults. */
  public static WebLimits defaults() {
    return new WebLimits(
        DEFAULT_MAX_BUFFERED_MIB, DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUT, DEFAULT_TIMEOUT);
  }

  /** {@link #maxBufferedMib} in bytes. */
  long maxBufferedBytes() {
    return maxBufferedMib * 1024 * 1024;
  }

  private static void checkTimeout(String option, Duration timeout) {
    if (timeout.compareTo(MIN_TIMEOUT) < 0 || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException(
          option + " is " + timeout.toSeconds() + "s; allowed is 1s..1h (the default is 30s)");
    }
  }
}
