package dev.skiff.server.runtime;

import java.time.Duration;
import java.time.Instant;

/**
 * Counts a function's consecutive failed container starts. Once they reach a threshold, every
 * further failure (until a container of the function becomes ready) says to fail the queued inputs,
 * and starts pause for a backoff that doubles with each such round: 1 s, 2 s, 4 s ... up to a cap.
 * Not thread-safe: guarded by the function's lock.
 */
public final class StartupGuard {
  private final int threshold;
  private final Duration maxBackoff;
  private int consecutiveFailures;
  private int rounds;
  private Instant backoffUntil = Instant.MIN;

  StartupGuard(int threshold, Duration maxBackoff) {
    this.threshold = threshold;
    this.maxBackoff = maxBackoff;
  }

  /**
   * Records a failed start.
   *
   * @return whether the function's queued inputs should now fail
   */
  boolean recordFailure(Instant now) {
    consecutiveFailures++;
    if (consecutiveFailures < threshold) {
      return false;
    }
    if (!backingOff(now)) {
      // Failures of containers started together land here in one burst; they count as one round.
      backoffUntil = now.plus(backoff(rounds++));
    }
    return true;
  }

  /** Records that a container became ready: starts work again. */
  void recordSuccess() {
    consecutiveFailures = 0;
    rounds = 0;
    backoffUntil = Instant.MIN;
  }

  /** Whether starts are paused at {@code now}. */
  boolean backingOff(Instant now) {
    return now.isBefore(backoffUntil);
  }

  int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** The pause after round {@code n} (from 0): 1 s doubled n times, at most the cap. */
  Duration backoff(int n) {
    Duration d = Duration.ofSeconds(1L << Math.min(n, 20));
    return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
  }
}
