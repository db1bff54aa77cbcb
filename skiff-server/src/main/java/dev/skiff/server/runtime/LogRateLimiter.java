package dev.skiff.server.runtime;

import java.util.concurrent.TimeUnit;

/**
 * The rate limit on one container's log lines: a token bucket that refills at a steady rate and
 * holds up to a burst. A line that finds no token is dropped and counted. The count is reported
 * once the flood eases: with the next line that gets through, at most once a {@link
 * #REPORT_EVERY_NANOS}, on the function's next tick once a {@link #REPORT_EVERY_NANOS} has passed
 * since the last report ({@link #takeDroppedIfDue}), or when the container's output ends ({@link
 * #takeDropped}). Times are {@link System#nanoTime()} values, passed in so that tests drive them.
 * Thread-safe (a container's stdout and stderr share one).
 */
final class LogRateLimiter {
  /** The shortest time between two reports of dropped lines: one second. */
  static final long REPORT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final double linesPerNano;
  private final int burst;

  // Guarded by this.
  private double tokens;
  private long refilledAt;
  private long dropped;
  private long reportedAt;

  LogRateLimiter(int linesPerSecond, int burst, long nowNanos) {
    this.linesPerNano = linesPerSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.refilledAt = nowNanos;
    this.reportedAt = nowNanos - REPORT_EVERY_NANOS;
  }

  /**
   * Admits or drops one line.
   *
   * @return -1 if the line is dropped; otherwise how many dropped lines to report before it (0:
   *     none)
   */
  synchronized long admit(long nowNanos) {
    long elapsed = nowNanos - refilledAt;
    if (elapsed > 0) {
      tokens = Math.min(burst, tokens + elapsed * linesPerNano);
      refilledAt = nowNanos;
    }
    if (tokens < 1) {
      dropped++;
      return -1;
    }
    tokens -= 1;
    if (dropped > 0 && nowNanos - reportedAt >= REPORT_EVERY_NANOS) {
      long report = dropped;
      dropped = 0;
      reportedAt = nowNanos;
      return report;
    }
    return 0;
  }

  /** The lines dropped and not yet reported, now counted as reported. */
  synchronized long takeDropped(long nowNanos) {
    long report = dropped;
    dropped = 0;
    reportedAt = nowNanos;
    return report;
  }

  /** The lines dropped and not yet reported if the last report was long enough ago, else 0. */
  synchronized long takeDroppedIfDue(long nowNanos) {
    return nowNanos - reportedAt >= REPORT_EVERY_NANOS ? takeDropped(nowNanos) : 0;
  }

  /** The line that reports {@code dropped} lines. */
  static String droppedLine(long dropped, int linesPerSecond) {
    return "[skiff: "
        + dropped
        + " lines dropped: the container wrote more than "
        + linesPerSecond
        + " lines per second]";
  }
}
